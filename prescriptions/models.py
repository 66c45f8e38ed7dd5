"""Prescriptions and their items: the aggregate the command side changes.

Tables and columns follow the source schema (Prescricoes, Prescricao_Medicamentos).
Rows change only through `prescriptions.commands`.

Each table's change capture (`outbox.capture_triggers.capture_change`) is declared
in its `Meta.triggers` and installed by this app's migrations; the pharmacy's
read-model sync triggers are plain SQL installed by the pharmacy's own
migration (pharmacy/sql/triggers.sql).
"""

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from hospital.models import Medicamento, Medico, Paciente
from outbox.capture_triggers import capture_change
from outbox.types import AggregateType


class StatusPrescricao(models.TextChoices):
    ATIVA = "ativa", "Ativa"
    CANCELADA = "cancelada", "Cancelada"


class Prescricao(models.Model):
    medico = models.ForeignKey(
        Medico, on_delete=models.PROTECT, db_column="id_medico", related_name="prescricoes", verbose_name="médico"
    )
    paciente = models.ForeignKey(
        Paciente, on_delete=models.PROTECT, db_column="id_paciente", related_name="prescricoes", verbose_name="paciente"
    )
    data_prescricao = models.DateTimeField("data da prescrição", default=timezone.now)
    status = models.CharField(
        "situação", max_length=10, choices=StatusPrescricao.choices, default=StatusPrescricao.ATIVA
    )
    cancelada_em = models.DateTimeField("cancelada em", null=True, blank=True)
    motivo_cancelamento = models.CharField("motivo do cancelamento", max_length=500, blank=True, default="")
    # The visit (atendimento) it was written in, as the hospital's other systems name it; joins the patient record.
    id_atendimento = models.CharField(
        "atendimento",
        max_length=64,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9._:-]{1,64}$", "Use de 1 a 64 caracteres entre A-Z a-z 0-9 . _ : -")],
    )

    class Meta:
        db_table = "prescricoes"
        triggers = [capture_change(AggregateType.PRESCRICAO, "id")]
        verbose_name = "prescrição"
        verbose_name_plural = "prescrições"
        ordering = ["-data_prescricao", "-id"]
        indexes = [
            models.Index(fields=["paciente", "data_prescricao"], name="prescricao_paciente_data"),
            models.Index(
                fields=["paciente", "id_atendimento"],
                name="prescricao_atendimento",
                condition=models.Q(id_atendimento__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=StatusPrescricao.values), name="prescricao_status_valido"
            ),
            models.CheckConstraint(
                condition=models.Q(status=StatusPrescricao.CANCELADA, cancelada_em__isnull=False)
                | models.Q(status=StatusPrescricao.ATIVA, cancelada_em__isnull=True),
                name="prescricao_cancelamento_coerente",
            ),
        ]

    def __str__(self) -> str:
        return f"Prescrição {self.pk}"

    @property
    def ativa(self) -> bool:
        return self.status == StatusPrescricao.ATIVA


class PrescricaoMedicamento(models.Model):
    prescricao = models.ForeignKey(
        Prescricao, on_delete=models.CASCADE, db_column="id_prescricao", related_name="itens", verbose_name="prescrição"
    )
    medicamento = models.ForeignKey(
        Medicamento, on_delete=models.PROTECT, db_column="id_medicamento", related_name="+", verbose_name="medicamento"
    )
    horario = models.TimeField("horário")
    dosagem = models.CharField("dosagem", max_length=100)

    class Meta:
        db_table = "prescricao_medicamentos"
        triggers = [capture_change(AggregateType.PRESCRICAO, "id_prescricao")]
        verbose_name = "medicamento prescrito"
        verbose_name_plural = "medicamentos prescritos"
        ordering = ["horario", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["prescricao", "medicamento", "horario"], name="item_medicamento_horario_unico"
            ),
            models.CheckConstraint(condition=models.Q(dosagem__regex=r"\S"), name="item_dosagem_nao_vazia"),
        ]

    def __str__(self) -> str:
        return f"{self.medicamento} {self.horario:%H:%M} {self.dosagem}"
