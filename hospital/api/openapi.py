"""The OpenAPI schema's description of errors: the one error shape, on every error an operation can answer.

A drf-spectacular post-processing hook (`document_errors`, listed in
`SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`): views declare the errors
particular to them (409 for a cancelled prescription, 503 for
`X-Read-After`); the hook adds those any operation can answer (bad input,
authentication, content negotiation, body size and type) and gives every
error response the `Error` schema, which is what
`hospital.api.exceptions.exception_handler` and `hospital.api.http_errors` produce.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "O formato único de erro da API: mensagem, código estável e erros por campo.",
    "properties": {
        "detail": {"type": "string", "description": "O que está errado e como corrigir."},
        "code": {"type": "string", "description": "Código estável do erro (ex.: dados_invalidos, not_found)."},
        "errors": {
            "type": "object",
            "description": "Erros por campo (`medicamentos[0].horario`, ...); vazio quando o erro não é de um campo.",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    "required": ["code", "message"],
                },
            },
        },
    },
    "required": ["detail", "code", "errors"],
    "example": {
        "detail": "Dados inválidos; corrija os campos indicados. Nada foi gravado.",
        "code": "dados_invalidos",
        "errors": {"medicamentos[0].dosagem": [{"code": "required", "message": "Este campo é obrigatório."}]},
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

ANY_OPERATION = {
    "400": "Requisição inválida (parâmetros, cabeçalhos ou corpo); nada foi gravado.",
    "406": "O cabeçalho Accept não admite JSON.",
}
AUTHENTICATED = {
    "401": "Não autenticado (sem credenciais, ou token inválido).",
    "403": "Usuário sem permissão para esta operação.",
}
WITH_PATH_PARAMETERS = {"404": "O recurso do endereço não existe."}
WITH_BODY = {
    "413": "Corpo grande demais; nada foi gravado.",
    "415": "Tipo de conteúdo não suportado; nada foi gravado.",
}


def _needs_authentication(operation: dict) -> bool:
    security = operation.get("security")
    return bool(security) and any(requirement for requirement in security)


def _errors_of(operation: dict) -> dict[str, str]:
    errors = dict(ANY_OPERATION)
    if _needs_authentication(operation):
        errors.update(AUTHENTICATED)
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
        errors.update(WITH_PATH_PARAMETERS)
    if "requestBody" in operation:
        errors.update(WITH_BODY)
    return errors


def document_errors(result: dict, generator, request, public) -> dict:
    """Add the `Error` component and describe every error response of every operation with it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in _errors_of(operation).items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if int(status) >= 400:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return result
