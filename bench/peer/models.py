"""The plain nested create's tables: a prescription and its items as a non-CQRS app would store them.

No triggers, no outbox, no rules: the peer of the create command. Created
by the bench (`bench.jobs.create_peer_tables`), never by a migration.
"""

from django.db import models

from hospital.models import Medicamento, Medico, Paciente


class PeerPrescricao(models.Model):
    medico = models.ForeignKey(Medico, on_delete=models.PROTECT, db_column="id_medico", related_name="+")
    paciente = models.ForeignKey(Paciente, on_delete=models.PROTECT, db_column="id_paciente", related_name="+")
    data_prescricao = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "peer_prescricoes"

    def __str__(self) -> str:
        return f"Prescrição {self.pk}"


class PeerItem(models.Model):
    prescricao = models.ForeignKey(PeerPrescricao, on_delete=models.CASCADE, related_name="itens")
    medicamento = models.ForeignKey(Medicamento, on_delete=models.PROTECT, related_name="+")
    horario = models.TimeField()
    dosagem = models.CharField(max_length=100)

    class Meta:
        db_table = "peer_prescricao_medicamentos"

    def __str__(self) -> str:
        return f"{self.medicamento_id} {self.horario} {self.dosagem}"
