"""Command endpoints: one small API class per command.

Each view validates the input's shape, calls one command, and answers with
the result (`prescriptions.answers`, in the shapes the output serializers
declare), the outbox position of the command's event in
`X-Event-Position` and the read token in `X-Read-Token` (send it back as
`X-Read-After` to read your own write, on a replica too).
Domain errors become 400/404/409 in `hospital.api.exceptions.exception_handler`.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from hospital.api.api_docs import DATA_PRESCRICAO, UNAUTHENTICATED, error, error_example, forbidden
from hospital.api.exceptions import EVENT_POSITION_HEADER
from hospital.api.permissions import CanWritePrescriptions
from hospital.api.renderers import OrjsonRenderer
from hospital.replicas import token
from prescriptions import answers, commands
from prescriptions.models import Prescricao
from prescriptions.serializers import (
    CancelInputSerializer,
    ItemInputSerializer,
    ItemOutputSerializer,
    PrescriptionCreateInputSerializer,
    PrescriptionOutputSerializer,
    to_item_input,
)

REFUSED = error(
    "Entrada inválida ou regra de domínio violada; nada foi gravado.",
    error_example(
        "Medicamento restrito a outra especialidade",
        400,
        "Ciclofosfamida só pode ser prescrito por: Oncologia; a especialidade do médico é Cardiologia.",
        "regra_de_dominio_violada",
        {
            "medicamentos[0].id_medicamento": [
                {
                    "code": "especialidade_nao_autorizada",
                    "message": "Ciclofosfamida só pode ser prescrito por: Oncologia; a especialidade do médico é "
                    "Cardiologia.",
                }
            ]
        },
    ),
    error_example(
        "Horário fora do formato HH:MM",
        400,
        "Horário inválido: use HH:MM, de 00:00 a 23:59.",
        "regra_de_dominio_violada",
        {
            "medicamentos[0].horario": [
                {"code": "horario_invalido", "message": "Horário inválido: use HH:MM, de 00:00 a 23:59."}
            ]
        },
    ),
)
ERRORS = {
    400: REFUSED,
    401: UNAUTHENTICATED,
    403: forbidden("Somente prescritores (grupo 'prescritor') ou a equipe podem alterar prescrições."),
}
NOT_FOUND = {
    404: error(
        "Prescrição ou item inexistente.",
        error_example(
            "Prescrição inexistente",
            404,
            "Prescrição 999 não existe.",
            "nao_encontrado",
            {"id_prescricao": [{"code": "prescricao_inexistente", "message": "Prescrição 999 não existe."}]},
        ),
    )
}
CANCELLED = {
    409: error(
        "A prescrição está cancelada.",
        error_example(
            "Prescrição cancelada",
            409,
            "A prescrição 1 está cancelada e não pode ser alterada.",
            "conflito_de_estado",
            {
                "id_prescricao": [
                    {
                        "code": "prescricao_cancelada",
                        "message": "A prescrição 1 está cancelada e não pode ser alterada.",
                    }
                ]
            },
        ),
    )
}

ITEM_ASPIRINA = {"id": 1, "id_prescricao": 1, "id_medicamento": 1, "horario": "08:00", "dosagem": "100mg"}
ITEM_PARACETAMOL = {"id": 2, "id_prescricao": 1, "id_medicamento": 2, "horario": "20:00", "dosagem": "500mg"}
PRESCRIPTION = {
    "id_prescricao": 1,
    "id_medico": 1,
    "id_paciente": 1,
    "data_prescricao": DATA_PRESCRICAO,
    "status": "ativa",
    "cancelada_em": None,
    "motivo_cancelamento": "",
    "medicamentos": [ITEM_ASPIRINA, ITEM_PARACETAMOL],
}


def _request(name: str, value: dict) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def _response(name: str, value: dict, status_code: int) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status_code)])


def _with_position(response: Response, position: int | None) -> Response:
    if position is not None:
        response[EVENT_POSITION_HEADER] = str(position)
        response[token.READ_TOKEN_HEADER] = token.issue(position)
    return response


def _prescription_response(prescricao: Prescricao, status_code: int = status.HTTP_200_OK) -> Response:
    """The prescription a command returned, as it saved it, and the position of its event."""
    return _with_position(Response(answers.prescription(prescricao), status=status_code), prescricao.event_position)


def _command_schema(summary: str, request, responses: dict, examples: list[OpenApiExample]):
    """A command's schema: its JSON input (`request`, or none), its answers and `ERRORS`, under the tag `commands`."""
    return extend_schema(
        request={"application/json": request} if request else None,
        responses={**responses, **ERRORS},
        tags=["commands"],
        summary=summary,
        examples=examples,
    )


class CommandApi(APIView):
    permission_classes = [CanWritePrescriptions]
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]


class PrescriptionCreateApi(CommandApi):
    @_command_schema(
        "Criar uma prescrição com seus medicamentos",
        PrescriptionCreateInputSerializer,
        {201: PrescriptionOutputSerializer},
        [
            _request(
                "A prescrição do artigo (Dr. João Silva para Maria Oliveira)",
                {
                    "id_medico": 1,
                    "id_paciente": 1,
                    "data_prescricao": DATA_PRESCRICAO,
                    "medicamentos": [
                        {"id_medicamento": 1, "horario": "08:00", "dosagem": "100mg"},
                        {"id_medicamento": 2, "horario": "20:00", "dosagem": "500mg"},
                    ],
                },
            ),
            _response("Prescrição criada", PRESCRIPTION, 201),
        ],
    )
    def post(self, request):
        serializer = PrescriptionCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        prescricao = commands.create_prescription(
            id_medico=data["id_medico"],
            id_paciente=data["id_paciente"],
            data_prescricao=data.get("data_prescricao"),
            id_atendimento=data.get("id_atendimento"),
            medicamentos=[to_item_input(item) for item in data["medicamentos"]],
        )
        return _prescription_response(prescricao, status.HTTP_201_CREATED)


class ItemAddApi(CommandApi):
    @_command_schema(
        "Adicionar um medicamento a uma prescrição",
        ItemInputSerializer,
        {201: ItemOutputSerializer, **NOT_FOUND, **CANCELLED},
        [
            _request("Paracetamol 500mg às 20:00", {"id_medicamento": 2, "horario": "20:00", "dosagem": "500mg"}),
            _response("Item adicionado", ITEM_PARACETAMOL, 201),
        ],
    )
    def post(self, request, prescricao_id: int):
        serializer = ItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = commands.add_item(id_prescricao=prescricao_id, item=to_item_input(serializer.validated_data))
        return _with_position(Response(answers.item(item), status=status.HTTP_201_CREATED), item.event_position)


class ItemRemoveApi(CommandApi):
    @_command_schema(
        "Retirar um medicamento de uma prescrição",
        None,
        {200: PrescriptionOutputSerializer, **NOT_FOUND, **CANCELLED},
        [_response("Paracetamol retirado", {**PRESCRIPTION, "medicamentos": [ITEM_ASPIRINA]}, 200)],
    )
    def delete(self, request, prescricao_id: int, item_id: int):
        prescricao = commands.remove_item(id_prescricao=prescricao_id, id_item=item_id)
        return _prescription_response(prescricao)


class PrescriptionCancelApi(CommandApi):
    @_command_schema(
        "Cancelar uma prescrição com o motivo (sai da lista de trabalho da farmácia)",
        CancelInputSerializer,
        {200: PrescriptionOutputSerializer, **NOT_FOUND, **CANCELLED},
        [
            _request("Cancelar com o motivo", {"motivo": "Paciente alérgica a AAS; prescrição substituída."}),
            _response(
                "Prescrição cancelada",
                {
                    **PRESCRIPTION,
                    "status": "cancelada",
                    "cancelada_em": "2023-05-21T12:00:00Z",
                    "motivo_cancelamento": "Paciente alérgica a AAS; prescrição substituída.",
                },
                200,
            ),
        ],
    )
    def post(self, request, prescricao_id: int):
        serializer = CancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prescricao = commands.cancel_prescription(
            id_prescricao=prescricao_id, motivo=serializer.validated_data["motivo"]
        )
        return _prescription_response(prescricao)
