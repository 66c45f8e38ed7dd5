"""The consolidated patient record: the inbox of other systems' events and the per-visit documents.

- `FonteIntegracao`: which source system (triagem, laboratorio, imagem) an
  integration user delivers events for; one source per user (and token).
- `EventoRecebido`: the transactional inbox. Each `(fonte, id_evento)` is
  stored once, in the same transaction as its effect on the documents; a
  redelivered event is acknowledged and ignored. Events of patients that do
  not exist yet stay with `aplicado_em` NULL until the patient is registered.
- `DocumentoAtendimento`: one document per (patient, visit), a pure function
  of that visit's inbox events and the prescriptions written in it
  (`prontuario.fold`). Only `prontuario.consolidation` writes it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Fonte(models.TextChoices):
    TRIAGEM = "triagem", "Triagem"
    LABORATORIO = "laboratorio", "Laboratório"
    IMAGEM = "imagem", "Imagem"


class FonteIntegracao(models.Model):
    usuario = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fonte_integracao", verbose_name="usuário"
    )
    fonte = models.CharField("sistema de origem", max_length=20, choices=Fonte.choices)

    class Meta:
        db_table = "prontuario_fontes_integracao"
        verbose_name = "fonte de integração"
        verbose_name_plural = "fontes de integração"
        constraints = [models.CheckConstraint(condition=models.Q(fonte__in=Fonte.values), name="fonte_valida")]

    def __str__(self) -> str:
        return f"{self.usuario} → {self.fonte}"


class EventoRecebido(models.Model):
    fonte = models.CharField("sistema de origem", max_length=20, choices=Fonte.choices)
    id_evento = models.CharField("id do evento na origem", max_length=100)
    tipo = models.CharField("tipo", max_length=60)
    id_paciente = models.BigIntegerField("paciente")
    id_atendimento = models.CharField("atendimento", max_length=64)
    versao = models.BigIntegerField("versão na origem")
    ocorrido_em = models.DateTimeField("ocorrido em")
    dados = models.JSONField("dados")
    recebido_em = models.DateTimeField("recebido em", default=timezone.now)
    aplicado_em = models.DateTimeField("aplicado em", null=True, blank=True)

    class Meta:
        db_table = "prontuario_inbox"
        verbose_name = "evento recebido"
        verbose_name_plural = "eventos recebidos (inbox)"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["fonte", "id_evento"], name="inbox_fonte_evento_unico")]
        indexes = [
            models.Index(fields=["id_paciente", "id_atendimento"], name="inbox_atendimento"),
            models.Index(fields=["id_paciente"], name="inbox_pendente", condition=models.Q(aplicado_em__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.fonte}:{self.id_evento} {self.tipo}"


class DocumentoAtendimento(models.Model):
    id_paciente = models.BigIntegerField("paciente")
    id_atendimento = models.CharField("atendimento", max_length=64)
    inicio = models.DateTimeField("início")
    documento = models.JSONField("documento")
    atualizado_em = models.DateTimeField("atualizado em", default=timezone.now)

    class Meta:
        db_table = "prontuario_atendimentos"
        verbose_name = "atendimento (prontuário)"
        verbose_name_plural = "atendimentos (prontuário)"
        ordering = ["id_paciente", "-inicio", "-id_atendimento"]
        constraints = [
            models.UniqueConstraint(fields=["id_paciente", "id_atendimento"], name="prontuario_atendimento_unico")
        ]
        indexes = [
            models.Index(fields=["id_paciente", "-inicio", "-id_atendimento"], name="prontuario_paciente_inicio"),
            models.Index(fields=["inicio"], name="prontuario_inicio"),
        ]

    def __str__(self) -> str:
        return f"Paciente {self.id_paciente}, atendimento {self.id_atendimento}"
