"""The document of one visit as a pure function (a fold) of its inbox events and its prescriptions.

No arrival order, clock or database enters here: for one set of events the
document is always the same, however the events were ordered, duplicated or
split into batches. Where several events describe the same thing (the visit's
opening, the triage, one exam's result), the one with the highest source
version wins, ties broken by `id_evento`; an amended lab result therefore
supersedes the released one by version, not by arrival.

Events are dicts with `fonte, id_evento, tipo, versao, ocorrido_em` (ISO
string) and `dados`; prescriptions are already in their document shape
(`prontuario.selectors.prescriptions_of_visits`).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from prontuario.event_types import RecordEventType as T

LAB_RESULTS = {T.RESULTADO_LABORATORIAL_LIBERADO, T.RESULTADO_LABORATORIAL_RETIFICADO}


def _instant(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


def _rank(event: dict) -> tuple:
    return (event["versao"], event["id_evento"])


def _latest(events: Iterable[dict]) -> dict | None:
    return max(events, key=_rank, default=None)


def _origin(event: dict) -> dict:
    return {k: event[k] for k in ("fonte", "id_evento", "tipo", "versao", "ocorrido_em")}


def _entry(event: dict | None, *, drop: Sequence[str] = ()) -> dict | None:
    if event is None:
        return None
    return {**{k: v for k, v in event["dados"].items() if k not in drop}, "origem": _origin(event)}


def _visit_status(opening: dict | None, closing: dict | None) -> dict:
    situacao = "fechado" if closing else "aberto" if opening else "nao_aberto"
    return {"situacao": situacao, "abertura": _entry(opening), "fechamento": _entry(closing)}


def _exams(by_type: dict[str, list[dict]], ordered: str, released: set[str], result_key: str) -> list[dict]:
    """One entry per `id_exame`: the latest order, the latest result and the results it superseded."""
    orders: dict[str, list[dict]] = defaultdict(list)
    results: dict[str, list[dict]] = defaultdict(list)
    for event in by_type.get(ordered, []):
        orders[event["dados"]["id_exame"]].append(event)
    for tipo in released:
        for event in by_type.get(tipo, []):
            results[event["dados"]["id_exame"]].append(event)
    exams = []
    for id_exame in sorted(orders.keys() | results.keys()):
        order, result = _latest(orders[id_exame]), _latest(results[id_exame])
        superseded = sorted((e for e in results[id_exame] if e is not result), key=_rank)
        if result is None:
            situacao = "solicitado"
        elif result["tipo"] == T.RESULTADO_LABORATORIAL_RETIFICADO:
            situacao = "retificado"
        else:
            situacao = "liberado"
        exams.append(
            {
                "id_exame": id_exame,
                "situacao": situacao,
                "solicitacao": _entry(order, drop=["id_exame"]),
                result_key: _entry(result, drop=["id_exame"]),
                "substituidos": [_origin(e) for e in superseded],
            }
        )
    return exams


def _pending(lab: list[dict], imaging: list[dict]) -> list[dict]:
    pending = [
        {"tipo": "exame_laboratorial", "id_exame": e["id_exame"], "descricao": e["solicitacao"]["nome"],
         "solicitado_em": e["solicitacao"]["solicitado_em"]}
        for e in lab if e["resultado"] is None
    ] + [
        {"tipo": "exame_imagem", "id_exame": e["id_exame"], "descricao": e["solicitacao"]["descricao"],
         "solicitado_em": e["solicitacao"]["solicitado_em"]}
        for e in imaging if e["laudo"] is None
    ]  # fmt: skip
    return sorted(pending, key=lambda p: (_instant(p["solicitado_em"]), p["tipo"], p["id_exame"]))


def visit_start(events: Sequence[dict], prescriptions: Sequence[dict]) -> str:
    """When the visit began, for ordering: its opening if known, else the earliest thing recorded in it."""
    opening = _latest(e for e in events if e["tipo"] == T.ATENDIMENTO_ABERTO)
    if opening is not None:
        return opening["dados"]["aberto_em"]
    instants = [e["ocorrido_em"] for e in events] + [p["data_prescricao"] for p in prescriptions]
    return min(instants, key=lambda iso: (_instant(iso), iso))


def build_visit_document(
    id_paciente: int, id_atendimento: str, events: Sequence[dict], prescriptions: Sequence[dict]
) -> dict:
    """The visit's document. Precondition: at least one event or prescription; events unique by (fonte, id_evento)."""
    by_type: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        by_type[event["tipo"]].append(event)
    lab = _exams(by_type, T.EXAME_LABORATORIAL_SOLICITADO, LAB_RESULTS, "resultado")
    imaging = _exams(by_type, T.EXAME_IMAGEM_SOLICITADO, {T.LAUDO_IMAGEM_LIBERADO}, "laudo")
    for exam in imaging:
        exam["situacao"] = "laudado" if exam["laudo"] else "solicitado"
    return {
        "id_paciente": id_paciente,
        "id_atendimento": id_atendimento,
        "inicio": visit_start(events, prescriptions),
        "atendimento": _visit_status(
            _latest(by_type.get(T.ATENDIMENTO_ABERTO, [])), _latest(by_type.get(T.ATENDIMENTO_FECHADO, []))
        ),
        "triagem": _entry(_latest(by_type.get(T.TRIAGEM_REGISTRADA, []))),
        "prescricoes": sorted(prescriptions, key=lambda p: (_instant(p["data_prescricao"]), p["id_prescricao"])),
        "exames_laboratoriais": lab,
        "exames_imagem": imaging,
        "pendencias": _pending(lab, imaging),
    }
