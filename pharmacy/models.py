"""Read models of the pharmacy: denormalized tables shaped for its lookups.

Both tables are written ONLY by the sync SQL installed by migrations
(`pharmacy/sql/`, see `pharmacy.projection`), called by the write-model
triggers (`pharmacy/sql/triggers.sql`), the rebuild and the repair. A
statement-level protect trigger (`pharmacy_protect`, `pharmacy/sql/refresh.sql`)
refuses every other writer (ORM, admin, raw SQL) unless the transaction holds
the explicit allowance `pharmacy.sync_writer = on` (TRUNCATE, an owner-only
operation, is not guarded), which the sync functions set for their own
duration (a `SET pharmacy.sync_writer = on` on each refresh function).

- `vw_prescricoes_medicamentos_detalhadas`: one row per item of an ACTIVE
  prescription, with doctor, patient and medication inlined; `id` is the id of
  the `prescricao_medicamentos` row it mirrors. A cancelled prescription's
  rows leave this worklist.
- `vw_prescricoes_documentos`: one JSON document per prescription that has at
  least one item, active OR cancelled. Cancelled prescriptions keep their
  document with `"status": "cancelada"` so the pharmacy can see why an order
  disappeared from the worklist; the pharmacy dispenses only `"status": "ativa"`.
  Its search columns (`busca`, `busca_texto`) are generated from `documento`
  by PostgreSQL (`pharmacy/sql/search.sql`), so every writer of a
  document keeps them right without knowing they exist.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func
from django.db.models.fields.json import KT


class ItemDetalhado(models.Model):
    """One prescribed medication of an active prescription, flattened (source schema columns)."""

    id = models.BigIntegerField("id do item", primary_key=True)
    id_prescricao = models.BigIntegerField("prescrição")
    data_prescricao = models.DateTimeField("data da prescrição")
    id_medico = models.BigIntegerField("id do médico")
    nome_medico = models.CharField("médico", max_length=200)
    especialidade_medico = models.CharField("especialidade", max_length=50)
    crm_medico = models.CharField("CRM", max_length=20)
    id_paciente = models.BigIntegerField("id do paciente")
    nome_paciente = models.CharField("paciente", max_length=200)
    data_nascimento_paciente = models.DateField("data de nascimento")
    endereco_paciente = models.CharField("endereço", max_length=300, null=True)
    id_medicamento = models.BigIntegerField("id do medicamento")
    nome_medicamento = models.CharField("medicamento", max_length=200)
    descricao_medicamento = models.TextField("descrição", null=True)
    horario = models.TimeField("horário")
    dosagem = models.CharField("dosagem", max_length=100)

    class Meta:
        db_table = "vw_prescricoes_medicamentos_detalhadas"
        verbose_name = "item da fila da farmácia"
        verbose_name_plural = "fila da farmácia (itens detalhados)"
        ordering = ["-data_prescricao", "-id"]
        indexes = [
            models.Index(fields=["id_prescricao"], name="vw_itens_prescricao"),
            models.Index(fields=["id_paciente", "data_prescricao"], name="vw_itens_paciente_data"),
            models.Index(fields=["id_medicamento", "data_prescricao"], name="vw_itens_medicamento_data"),
            models.Index(fields=["id_medico", "data_prescricao"], name="vw_itens_medico_data"),
            # The API's cursor ordering.
            models.Index(fields=["-data_prescricao", "-id"], name="vw_itens_cursor"),
        ]

    def __str__(self) -> str:
        return f"{self.nome_medicamento} {self.horario:%H:%M} {self.dosagem} — {self.nome_paciente}"


#: The doctor's specialty inside a document, as text: what the search filters on and indexes.
ESPECIALIDADE = KT("documento__medico__especialidade")


class PrescricaoDocumento(models.Model):
    """The prescription as one JSON document (the pharmacy's contract shape plus `status`)."""

    id_prescricao = models.BigIntegerField("prescrição", primary_key=True)
    id_medico = models.BigIntegerField("id do médico", db_index=True)
    id_paciente = models.BigIntegerField("id do paciente", db_index=True)
    status = models.CharField("situação", max_length=10)
    data_prescricao = models.DateTimeField("data da prescrição")
    documento = models.JSONField("documento")
    busca = models.GeneratedField(
        expression=Func(F("documento"), function="pharmacy_documento_vetor", output_field=SearchVectorField()),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name="vetor de busca",
    )
    busca_texto = models.GeneratedField(
        expression=Func(F("documento"), function="pharmacy_documento_texto", output_field=models.TextField()),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name="texto de busca (sem acentos)",
    )

    class Meta:
        db_table = "vw_prescricoes_documentos"
        verbose_name = "documento de prescrição"
        verbose_name_plural = "documentos de prescrição"
        ordering = ["-data_prescricao", "-id_prescricao"]
        indexes = [
            # Full text and the doctor's specialty in one GIN index (btree_gin): a search filtered by
            # specialty intersects both inside the index instead of reading every full-text match.
            GinIndex(F("busca"), ESPECIALIDADE, name="vw_docs_busca"),
            GinIndex(OpClass(F("busca_texto"), name="gin_trgm_ops"), name="vw_docs_busca_trgm"),
            models.Index(fields=["-data_prescricao", "-id_prescricao"], name="vw_docs_cursor"),  # the list's cursor
        ]

    def __str__(self) -> str:
        return f"Prescrição {self.id_prescricao} ({self.status})"
