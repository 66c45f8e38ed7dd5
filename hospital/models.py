"""Master data of the write model: doctors, patients and medications.

Tables and columns follow the source schema (Medicos, Pacientes, Medicamentos);
`ativo` and `especialidades_permitidas` exist for the domain rules. Rows change
only through `hospital.commands`.

Their triggers are not declared here: the read side and the outbox attach
them at startup (`pharmacy.sync_triggers`: read-model sync;
`outbox.capture_triggers`: change capture) and the migrations of this app
install them (`manage.py pgtrigger ls`).
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from hospital.identifiers import DEFAULT_UF, UF_CHOICES
from hospital.specialties import Especialidade


class Medico(models.Model):
    nome = models.CharField("nome", max_length=200)
    especialidade = models.CharField("especialidade", max_length=50, choices=Especialidade.choices)
    crm = models.CharField("CRM", max_length=20, help_text="Normalizado: CRM e o número, ex.: CRM12345.")
    crm_uf = models.CharField("UF do CRM", max_length=2, choices=UF_CHOICES, default=DEFAULT_UF, db_default=DEFAULT_UF)
    ativo = models.BooleanField("ativo", default=True)

    class Meta:
        db_table = "medicos"
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
