"""The command endpoints' answers, built from what the command saved.

The shapes are those `PrescriptionOutputSerializer` and `ItemOutputSerializer`
declare for the API schema; the answers are written here directly, since a
DRF serializer builds its fields anew for every object it renders. The
commands hand over the items they left (`saved_items`), so an answer needs no
read after the commit. `tests/prescriptions/test_api.py` holds every
command's answer equal to the serializers' rendering of the stored rows.
"""

from hospital.api.fields import iso_utc
from prescriptions.models import Prescricao, PrescricaoMedicamento


def item(row: PrescricaoMedicamento) -> dict:
    """One prescribed medication, its time as `HH:MM`."""
    return {
        "id": row.pk,
        "id_prescricao": row.prescricao_id,
        "id_medicamento": row.medicamento_id,
        "horario": row.horario.strftime("%H:%M"),
        "dosagem": row.dosagem,
    }


def prescription(prescricao: Prescricao) -> dict:
    """A prescription with the items its command saved (`saved_items`, in the read models' order)."""
    return {
        "id_prescricao": prescricao.pk,
        "id_medico": prescricao.medico_id,
        "id_paciente": prescricao.paciente_id,
        "data_prescricao": iso_utc(prescricao.data_prescricao),
        "status": str(prescricao.status),
        "cancelada_em": iso_utc(prescricao.cancelada_em) if prescricao.cancelada_em else None,
        "motivo_cancelamento": prescricao.motivo_cancelamento,
        "id_atendimento": prescricao.id_atendimento,
        "medicamentos": [item(row) for row in prescricao.saved_items],
    }
