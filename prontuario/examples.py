"""Example payloads for the OpenAPI schema and the README: one event of each type and the visit they build."""

from prontuario.fold import build_visit_document

VISIT = {"id_paciente": 1, "id_atendimento": "ATD-2024-0001"}

EVENTS_BY_SOURCE = {
    "triagem": [
        {**VISIT, "id_evento": "tri-1", "tipo": "AtendimentoAberto", "versao": 1, "ocorrido_em": "2024-03-10T13:58:00Z",
         "dados": {"aberto_em": "2024-03-10T13:58:00Z", "setor": "Pronto-socorro", "motivo": "Dor torácica"}},
        {**VISIT, "id_evento": "tri-2", "tipo": "TriagemRegistrada", "versao": 1, "ocorrido_em": "2024-03-10T14:05:00Z",
         "dados": {"chegada_em": "2024-03-10T13:55:00Z", "queixa": "Dor no peito há 2 horas",
                   "sinais_vitais": {"pressao_sistolica": 150, "pressao_diastolica": 95, "frequencia_cardiaca": 102,
                                     "frequencia_respiratoria": 20, "temperatura": 36.8, "saturacao_o2": 96},
                   "classificacao_risco": "laranja"}},
        {**VISIT, "id_evento": "tri-9", "tipo": "AtendimentoFechado", "versao": 1,
         "ocorrido_em": "2024-03-10T20:00:00Z",
         "dados": {"fechado_em": "2024-03-10T20:00:00Z", "desfecho": "alta"}},
    ],
    "laboratorio": [
        {**VISIT, "id_evento": "lab-1", "tipo": "ExameLaboratorialSolicitado", "versao": 1,
         "ocorrido_em": "2024-03-10T14:10:00Z",
         "dados": {"id_exame": "LAB-77", "codigo": "TROP", "nome": "Troponina I",
                   "solicitado_em": "2024-03-10T14:10:00Z"}},
        {**VISIT, "id_evento": "lab-2", "tipo": "ResultadoLaboratorialLiberado", "versao": 2,
         "ocorrido_em": "2024-03-10T15:00:00Z",
         "dados": {"id_exame": "LAB-77", "liberado_em": "2024-03-10T15:00:00Z",
                   "resultados": [{"analito": "Troponina I", "valor": "0.02", "unidade": "ng/mL",
                                   "referencia": "< 0.04"}]}},
        {**VISIT, "id_evento": "lab-3", "tipo": "ResultadoLaboratorialRetificado", "versao": 3,
         "ocorrido_em": "2024-03-10T16:00:00Z",
         "dados": {"id_exame": "LAB-77", "liberado_em": "2024-03-10T16:00:00Z", "motivo": "Erro de digitação",
                   "resultados": [{"analito": "Troponina I", "valor": "0.03", "unidade": "ng/mL",
                                   "referencia": "< 0.04"}]}},
    ],
    "imagem": [
        {**VISIT, "id_evento": "img-1", "tipo": "ExameImagemSolicitado", "versao": 1,
         "ocorrido_em": "2024-03-10T14:12:00Z",
         "dados": {"id_exame": "IMG-5", "modalidade": "RX", "descricao": "Radiografia de tórax PA",
                   "solicitado_em": "2024-03-10T14:12:00Z"}},
        {**VISIT, "id_evento": "img-2", "tipo": "LaudoImagemLiberado", "versao": 1,
         "ocorrido_em": "2024-03-10T15:30:00Z",
         "dados": {"id_exame": "IMG-5", "liberado_em": "2024-03-10T15:30:00Z",
                   "laudo": "Campos pulmonares livres. Área cardíaca normal.", "conclusao": "Sem alterações"}},
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
