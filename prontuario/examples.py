"""Example payloads for the OpenAPI schema and the README: one event of each type and the visit they build."""

from prontuario.fold import build_visit_document

VISIT = {"id_paciente": 1, "id_atendimento": "ATD-2024-0001"}


def _event(id_evento: str, tipo: str, versao: int, ocorrido_em: str, dados: dict) -> dict:
    """An event of the example visit, as its source system sends it."""
    return {**VISIT, "id_evento": id_evento, "tipo": tipo, "versao": versao, "ocorrido_em": ocorrido_em, "dados": dados}


def _troponina(valor: str) -> list[dict]:
    return [{"analito": "Troponina I", "valor": valor, "unidade": "ng/mL", "referencia": "< 0.04"}]


EVENTS_BY_SOURCE = {
    "triagem": [
        _event("tri-1", "AtendimentoAberto", 1, "2024-03-10T13:58:00Z",
               {"aberto_em": "2024-03-10T13:58:00Z", "setor": "Pronto-socorro", "motivo": "Dor torácica"}),
        _event("tri-2", "TriagemRegistrada", 1, "2024-03-10T14:05:00Z",
               {"chegada_em": "2024-03-10T13:55:00Z", "queixa": "Dor no peito há 2 horas",
                "sinais_vitais": {"pressao_sistolica": 150, "pressao_diastolica": 95, "frequencia_cardiaca": 102,
                                  "frequencia_respiratoria": 20, "temperatura": 36.8, "saturacao_o2": 96},
                "classificacao_risco": "laranja"}),
        _event("tri-9", "AtendimentoFechado", 1, "2024-03-10T20:00:00Z",
               {"fechado_em": "2024-03-10T20:00:00Z", "desfecho": "alta"}),
    ],
    "laboratorio": [
        _event("lab-1", "ExameLaboratorialSolicitado", 1, "2024-03-10T14:10:00Z",
               {"id_exame": "LAB-77", "codigo": "TROP", "nome": "Troponina I",
                "solicitado_em": "2024-03-10T14:10:00Z"}),
        _event("lab-2", "ResultadoLaboratorialLiberado", 2, "2024-03-10T15:00:00Z",
               {"id_exame": "LAB-77", "liberado_em": "2024-03-10T15:00:00Z", "resultados": _troponina("0.02")}),
        _event("lab-3", "ResultadoLaboratorialRetificado", 3, "2024-03-10T16:00:00Z",
               {"id_exame": "LAB-77", "liberado_em": "2024-03-10T16:00:00Z", "motivo": "Erro de digitação",
                "resultados": _troponina("0.03")}),
    ],
    "imagem": [
        _event("img-1", "ExameImagemSolicitado", 1, "2024-03-10T14:12:00Z",
               {"id_exame": "IMG-5", "modalidade": "RX", "descricao": "Radiografia de tórax PA",
                "solicitado_em": "2024-03-10T14:12:00Z"}),
        _event("img-2", "LaudoImagemLiberado", 1, "2024-03-10T15:30:00Z",
               {"id_exame": "IMG-5", "liberado_em": "2024-03-10T15:30:00Z",
                "laudo": "Campos pulmonares livres. Área cardíaca normal.", "conclusao": "Sem alterações"}),
    ],
}  # fmt: skip

BATCH_EXAMPLE = {"fonte": "laboratorio", "eventos": EVENTS_BY_SOURCE["laboratorio"]}

VISIT_EXAMPLE = build_visit_document(
    VISIT["id_paciente"],
    VISIT["id_atendimento"],
    [{**e, "fonte": fonte} for fonte, events in EVENTS_BY_SOURCE.items() for e in events],
    [],
)

RECEIPT_EXAMPLE = {
    "fonte": "laboratorio",
    "aplicados": len(BATCH_EXAMPLE["eventos"]),
    "pendentes": 0,
    "duplicados": 0,
    "eventos": [{"id_evento": evento["id_evento"], "situacao": "aplicado"} for evento in BATCH_EXAMPLE["eventos"]],
}

RECORD_EXAMPLE = {
    "paciente": {"id_paciente": 1, "nome": "Maria Oliveira", "data_nascimento": "1985-07-10"},
    "count": 1,
    "next": None,
    "previous": None,
    "atendimentos": [VISIT_EXAMPLE],
}
