"""Property: the record for a set of events is the same whatever their order, duplication and batching."""

import datetime as dt

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from hospital import commands as master
from prontuario.ingestion import IncomingEvent, receive_events
from prontuario.models import DocumentoAtendimento
from prontuario.serializers import EventoEntrada

VISITS = [(0, "A1"), (0, "A2"), (1, "B1")]  # (patient index, visit id): several visits of one patient

KINDS = {  # kind -> (source, type, data builder)
    "abertura": ("triagem", "AtendimentoAberto", lambda n, v: {"aberto_em": f"2024-0{n % 3 + 1}-01T10:00:0{v}Z"}),
    "fechamento": ("triagem", "AtendimentoFechado", lambda n, v: {"fechado_em": "2024-05-01T10:00:00Z"}),
    "triagem": ("triagem", "TriagemRegistrada", lambda n, v: {
        "chegada_em": "2024-01-01T09:00:00Z", "queixa": f"queixa v{v}", "classificacao_risco": "verde",
        "sinais_vitais": {"temperatura": 36 + v / 10}}),
    "pedido_lab": ("laboratorio", "ExameLaboratorialSolicitado", lambda n, v: {
        "id_exame": f"L{n % 2}", "nome": f"Exame {v}", "solicitado_em": "2024-01-01T09:30:00Z"}),
    "resultado_lab": ("laboratorio", "ResultadoLaboratorialLiberado", lambda n, v: {
        "id_exame": f"L{n % 2}", "liberado_em": "2024-01-01T11:00:00Z",
        "resultados": [{"analito": "Hb", "valor": str(v)}]}),
    "retificacao_lab": ("laboratorio", "ResultadoLaboratorialRetificado", lambda n, v: {
        "id_exame": f"L{n % 2}", "liberado_em": "2024-01-01T12:00:00Z", "motivo": "revisão",
        "resultados": [{"analito": "Hb", "valor": f"{v}.5"}]}),
    "pedido_imagem": ("imagem", "ExameImagemSolicitado", lambda n, v: {
        "id_exame": f"I{n % 2}", "modalidade": "RX", "descricao": "Tórax", "solicitado_em": "2024-01-01T09:40:00Z"}),
    "laudo": ("imagem", "LaudoImagemLiberado", lambda n, v: {
        "id_exame": f"I{n % 2}", "liberado_em": "2024-01-01T13:00:00Z", "laudo": f"laudo v{v}"}),
}  # fmt: skip

specs = st.lists(
    st.tuples(st.integers(0, len(VISITS) - 1), st.sampled_from(sorted(KINDS)), st.integers(0, 3), st.integers(0, 4)),
    min_size=1,
    max_size=16,
)


def _events(patients: list[int], drawn: list[tuple]) -> list[tuple[str, IncomingEvent]]:
    """(source, event) per spec; each spec is its own event (`id_evento` unique within its source)."""
    events = []
    for index, (visit, kind, n, versao) in enumerate(drawn):
        fonte, tipo, build = KINDS[kind]
        patient, atendimento = VISITS[visit]
        raw = {"id_evento": f"e{index}", "tipo": tipo, "id_paciente": patients[patient],
               "id_atendimento": atendimento, "versao": versao, "ocorrido_em": f"2024-01-01T08:{index:02d}:00Z",
               "dados": build(n, versao)}  # fmt: skip
        serializer = EventoEntrada(data=raw)
        serializer.is_valid(raise_exception=True)
        events.append((fonte, IncomingEvent(**serializer.validated_data)))
    return events


def _deliver(deliveries: list[tuple[str, IncomingEvent]], batch_size: int) -> dict:
    """Post the deliveries in order, in single-source batches of up to `batch_size`; return all documents."""
    batch: list[IncomingEvent] = []
    fonte = None
    for source, event in [*deliveries, (None, None)]:
        if batch and (source != fonte or len(batch) == batch_size):
            receive_events(fonte=fonte, eventos=batch)
            batch = []
        fonte = source
        if event is not None:
            batch.append(event)
    return {(d.id_paciente, d.id_atendimento): d.documento for d in DocumentoAtendimento.objects.all()}


def _reset_record() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE prontuario_inbox, prontuario_atendimentos")


@pytest.fixture
def two_patients(transactional_db) -> list[int]:
    return [master.register_patient(nome=name, data_nascimento=dt.date(1980, 1, 1)).pk for name in ("Ana", "Bruno")]


@pytest.mark.slow
@given(drawn=specs, data=st.data())
def test_any_order_duplication_and_batching_gives_the_same_documents(two_patients, drawn, data):
    events = _events(two_patients, drawn)
    _reset_record()
    reference = _deliver(events, batch_size=1000)  # one delivery per source, in generation order

    duplicates = data.draw(st.lists(st.sampled_from(events), max_size=len(events)), label="redelivered")
    shuffled = data.draw(st.permutations(events + duplicates), label="arrival order")
    batch_size = data.draw(st.integers(1, 5), label="batch size")
    _reset_record()
    assert _deliver(shuffled, batch_size) == reference
