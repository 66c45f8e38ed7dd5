"""Property: after ANY sequence of commands and direct ORM/SQL edits, both read models equal the source join."""

import contextlib
import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from hospital import commands as master
from hospital.errors import DomainError
from hospital.models import Medicamento, Medico, Paciente
from prescriptions import commands
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prescriptions.rules import ItemInput
from tests.hypothesis_profiles import examples
from tests.pharmacy.helpers import assert_read_models_match_source

idx = st.integers(min_value=0, max_value=50)
hour = st.integers(min_value=0, max_value=23)
name = st.text(alphabet="abcdeçãé XYZ", min_size=1, max_size=12).filter(str.strip)

operations = st.one_of(
    st.tuples(st.just("create"), idx, idx, st.lists(st.tuples(idx, hour), min_size=1, max_size=3)),
    st.tuples(st.just("add_item"), idx, idx, hour),
    st.tuples(st.just("remove_item"), idx, idx),
    st.tuples(st.just("cancel"), idx),
    st.tuples(st.just("change_date"), idx, st.integers(min_value=1, max_value=900)),
    st.tuples(st.just("rename_doctor_update"), idx, name),
    st.tuples(st.just("rename_patient_sql"), idx, name, st.booleans()),
    st.tuples(st.just("rename_medication_command"), idx, name),
    st.tuples(st.just("bulk_create_items"), idx, st.lists(st.tuples(idx, hour), min_size=1, max_size=4)),
    st.tuples(st.just("update_dosages"), idx, name),
    st.tuples(st.just("delete_item_sql"), idx),
    st.tuples(st.just("move_item_sql"), idx, idx),
    st.tuples(st.just("reactivate_sql"), idx),
    st.tuples(st.just("switch_doctor_sql"), idx, idx),
    st.tuples(st.just("delete_prescription_orm"), idx),
)


def _pick(model, i):
    ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
    return ids[i % len(ids)] if ids else None


def _apply(op) -> None:
    """Run one generated operation through its command (the strategy above draws `op`).

    One branch per kind of operation, so its length follows the command set's.
    """
    kind, *args = op
    if kind == "create":
        med, pat, items = args
        itens = [ItemInput(_pick(Medicamento, m), f"{h:02d}:00", "10mg") for m, h in items]
        commands.create_prescription(
            id_medico=_pick(Medico, med), id_paciente=_pick(Paciente, pat), medicamentos=itens,
            data_prescricao=dt.datetime(2024, 1, 1, 8, 0, 0, 123456, tzinfo=dt.UTC),
        )  # fmt: skip
    elif kind == "add_item":
        p, m, h = args
        if (pk := _pick(Prescricao, p)) is not None:
            commands.add_item(id_prescricao=pk, item=ItemInput(_pick(Medicamento, m), f"{h:02d}:30", "5 ml"))
    elif kind == "remove_item":
        p, i = args
        if (pk := _pick(Prescricao, p)) is not None:
            items = list(
                PrescricaoMedicamento.objects.filter(prescricao_id=pk).order_by("pk").values_list("pk", flat=True)
            )
            commands.remove_item(id_prescricao=pk, id_item=items[i % len(items)] if items else 0)
    elif kind == "cancel":
        if (pk := _pick(Prescricao, args[0])) is not None:
            commands.cancel_prescription(id_prescricao=pk, motivo="teste")
    elif kind == "change_date":
        p, days = args
        if (pk := _pick(Prescricao, p)) is not None:
            when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=days, minutes=days)
            commands.change_prescription_date(id_prescricao=pk, data_prescricao=when)
    elif kind == "rename_doctor_update":
        Medico.objects.filter(pk=_pick(Medico, args[0])).update(nome=args[1])
    elif kind == "rename_patient_sql":
        i, new_name, clear_address = args
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE pacientes SET nome = %s, endereco = CASE WHEN %s THEN NULL ELSE 'Rua ' || %s END WHERE id = %s",
                [new_name, clear_address, new_name, _pick(Paciente, i)],
            )
    elif kind == "rename_medication_command":
        med = Medicamento.objects.get(pk=_pick(Medicamento, args[0]))
        master.update_medication(
            id_medicamento=med.pk, nome=args[1], descricao=f"desc {args[1]}",
            especialidades_permitidas=med.especialidades_permitidas,
        )  # fmt: skip
    elif kind == "bulk_create_items":
        p, items = args
        if (pk := _pick(Prescricao, p)) is not None:
            rows = [
                PrescricaoMedicamento(prescricao_id=pk, medicamento_id=_pick(Medicamento, m), horario=dt.time(h, 15),
                                      dosagem="bulk")
                for m, h in items
            ]  # fmt: skip
            with transaction.atomic():
                PrescricaoMedicamento.objects.bulk_create(rows)
    elif kind == "update_dosages":
        p, dosagem = args
        PrescricaoMedicamento.objects.filter(prescricao_id=_pick(Prescricao, p)).update(dosagem=dosagem)
    elif kind == "delete_item_sql":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM prescricao_medicamentos WHERE id = %s", [_pick(PrescricaoMedicamento, args[0])])
    elif kind == "move_item_sql":
        i, p = args
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE prescricao_medicamentos SET id_prescricao = %s WHERE id = %s",
                [_pick(Prescricao, p), _pick(PrescricaoMedicamento, i)],
            )
    elif kind == "reactivate_sql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE prescricoes SET status = 'ativa', cancelada_em = NULL, data_prescricao = data_prescricao "
                "WHERE id = %s",
                [_pick(Prescricao, args[0])],
            )
    elif kind == "switch_doctor_sql":
        p, d = args
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE prescricoes SET id_medico = %s WHERE id = %s", [_pick(Medico, d), _pick(Prescricao, p)]
            )
    elif kind == "delete_prescription_orm":
        Prescricao.objects.filter(pk=_pick(Prescricao, args[0])).delete()
    else:  # pragma: no cover
        raise AssertionError(kind)


@pytest.mark.slow
@pytest.mark.django_db
@settings(max_examples=examples(0.15))  # ten steps per example: fewer examples than the profile's count
@given(steps=st.lists(operations, min_size=1, max_size=10))
def test_read_models_equal_source_join_after_every_step(cardiologista, oncologista, paciente, aspirina, quimio, steps):
    if not Paciente.objects.filter(nome="Pedro").exists():
        master.register_patient(nome="Pedro", data_nascimento=dt.date(2000, 1, 1))
        master.register_medication(nome="Dipirona")
    for op in steps:
        # A refused write (domain rule, constraint) must leave the read models as they were.
        with contextlib.suppress(DomainError, IntegrityError):
            _apply(op)
        assert_read_models_match_source()
