"""Master data of the write model: doctors, patients and medications.

Tables and columns follow the source schema (Medicos, Pacientes, Medicamentos);
`ativo` and `especialidades_permitidas` exist for the domain rules. Rows change
only through `hospital.commands`.

Each table's change capture (`outbox.capture_triggers.capture_change`) is declared
in its `Meta.triggers` and installed by this app's migrations; the pharmacy's
read-model sync triggers are plain SQL installed by the pharmacy's own
migration (pharmacy/sql/triggers.sql; docs/architecture.md, "Migrations and
SQL").
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from hospital.identifiers import DEFAULT_UF, UF_CHOICES
from hospital.specialties import Especialidade
from outbox.capture_triggers import capture_change
from outbox.types import AggregateType


class Medico(models.Model):
    nome = models.CharField("nome", max_length=200)
    especialidade = models.CharField("especialidade", max_length=50, choices=Especialidade.choices)
    crm = models.CharField("CRM", max_length=20, help_text="Normalizado: CRM e o número, ex.: CRM12345.")
    crm_uf = models.CharField("UF do CRM", max_length=2, choices=UF_CHOICES, default=DEFAULT_UF, db_default=DEFAULT_UF)
    ativo = models.BooleanField("ativo", default=True)

    class Meta:
        db_table = "medicos"
        triggers = [capture_change(AggregateType.MEDICO, "id")]
        verbose_name = "médico"
        verbose_name_plural = "médicos"
        ordering = ["nome"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(especialidade__in=Especialidade.values), name="medico_especialidade_valida"
            ),
            models.CheckConstraint(condition=models.Q(nome__regex=r"\S"), name="medico_nome_nao_vazio"),
            models.CheckConstraint(condition=models.Q(crm__regex=r"\S"), name="medico_crm_nao_vazio"),
            models.UniqueConstraint(fields=["crm", "crm_uf"], name="medico_crm_uf_unico"),
        ]

    def __str__(self) -> str:
        return f"{self.nome} ({self.crm}/{self.crm_uf})"


class Paciente(models.Model):
    nome = models.CharField("nome", max_length=200)
    data_nascimento = models.DateField("data de nascimento")
    endereco = models.CharField("endereço", max_length=300, null=True, blank=True)
    prontuario = models.CharField(
        "prontuário",
        max_length=12,
        null=True,
        blank=True,
        unique=True,
        help_text="Número do prontuário: 4 a 12 dígitos.",
    )
    ativo = models.BooleanField("ativo", default=True)

    class Meta:
        db_table = "pacientes"
        triggers = [capture_change(AggregateType.PACIENTE, "id")]
        verbose_name = "paciente"
        verbose_name_plural = "pacientes"
        ordering = ["nome"]
        constraints = [
            models.CheckConstraint(condition=models.Q(nome__regex=r"\S"), name="paciente_nome_nao_vazio"),
            models.CheckConstraint(
                condition=models.Q(data_nascimento__gte="1890-01-01"), name="paciente_data_nascimento_plausivel"
            ),
        ]

    def __str__(self) -> str:
        return self.nome


class Medicamento(models.Model):
    nome = models.CharField("nome", max_length=200)
    descricao = models.TextField("descrição", null=True, blank=True)
    especialidades_permitidas = ArrayField(
        models.CharField(max_length=50, choices=Especialidade.choices),
        verbose_name="especialidades permitidas",
        default=list,
        blank=True,
        help_text="Especialidades que podem prescrever este medicamento; vazio: qualquer especialidade.",
    )
    ativo = models.BooleanField("ativo", default=True)

    class Meta:
        db_table = "medicamentos"
        triggers = [capture_change(AggregateType.MEDICAMENTO, "id")]
        verbose_name = "medicamento"
        verbose_name_plural = "medicamentos"
        ordering = ["nome"]
        constraints = [
            models.CheckConstraint(condition=models.Q(nome__regex=r"\S"), name="medicamento_nome_nao_vazio"),
        ]

    def __str__(self) -> str:
        return self.nome

    def permite(self, especialidade: str) -> bool:
        """True when a doctor of `especialidade` may prescribe this medication."""
        return not self.especialidades_permitidas or especialidade in self.especialidades_permitidas
