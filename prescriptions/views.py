"""Command endpoints: one small API class per command.

Each view validates the input's shape, calls one command, and answers with
the result, the outbox position of the command's event in
`X-Event-Position` and the read token in `X-Read-Token` (send it back as
`X-Read-After` to read your own write, on a replica too).
Domain errors become 400/404/409 in `hospital.api.exception_handler`.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from hospital.api import EVENT_POSITION_HEADER
from hospital.permissions import CanWritePrescriptions
from hospital.replicas import token
from prescriptions import commands
from prescriptions.models import Prescricao
from prescriptions.serializers import (
    CancelInputSerializer,
    ItemInputSerializer,
    ItemOutputSerializer,
    PrescriptionCreateInputSerializer,
    PrescriptionOutputSerializer,
    to_item_input,
)

ERRORS = {
    400: OpenApiResponse(description="Entrada inválida ou regra de domínio violada; nada foi gravado."),
    401: OpenApiResponse(description="Não autenticado."),
    403: OpenApiResponse(description="Usuário sem permissão de escrita."),
}
NOT_FOUND = {404: OpenApiResponse(description="Prescrição ou item inexistente.")}
CANCELLED = {409: OpenApiResponse(description="A prescrição está cancelada.")}


def _with_position(response: Response, position: int | None) -> Response:
    if position is not None:
        response[EVENT_POSITION_HEADER] = str(position)
        response[token.READ_TOKEN_HEADER] = token.issue(position)
    return response


def _prescription_response(prescricao: Prescricao, status_code: int) -> Response:
    fresh = Prescricao.objects.prefetch_related("itens").get(pk=prescricao.pk)
    return _with_position(
        Response(PrescriptionOutputSerializer(fresh).data, status=status_code), prescricao.event_position
    )


class CommandApi(APIView):
    permission_classes = [CanWritePrescriptions]


class PrescriptionCreateApi(CommandApi):
    @extend_schema(
        request=PrescriptionCreateInputSerializer,
        responses={201: PrescriptionOutputSerializer, **ERRORS},
        tags=["commands"],
        summary="Criar uma prescrição com seus medicamentos",
    )
    def post(self, request):
        serializer = PrescriptionCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        prescricao = commands.create_prescription(
            medico_id=data["id_medico"],
            paciente_id=data["id_paciente"],
            data_prescricao=data.get("data_prescricao"),
            id_atendimento=data.get("id_atendimento"),
            itens=[to_item_input(item) for item in data["medicamentos"]],
        )
        return _prescription_response(prescricao, status.HTTP_201_CREATED)


class ItemAddApi(CommandApi):
    @extend_schema(
        request=ItemInputSerializer,
        responses={201: ItemOutputSerializer, **ERRORS, **NOT_FOUND, **CANCELLED},
        tags=["commands"],
        summary="Adicionar um medicamento a uma prescrição",
    )
    def post(self, request, prescricao_id: int):
        serializer = ItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = commands.add_item(prescricao_id=prescricao_id, item=to_item_input(serializer.validated_data))
        return _with_position(
            Response(ItemOutputSerializer(item).data, status=status.HTTP_201_CREATED), item.event_position
        )


class ItemRemoveApi(CommandApi):
    @extend_schema(
        request=None,
        responses={200: PrescriptionOutputSerializer, **ERRORS, **NOT_FOUND, **CANCELLED},
        tags=["commands"],
        summary="Retirar um medicamento de uma prescrição",
    )
    def delete(self, request, prescricao_id: int, item_id: int):
        prescricao = commands.remove_item(prescricao_id=prescricao_id, item_id=item_id)
        return _prescription_response(prescricao, status.HTTP_200_OK)


class PrescriptionCancelApi(CommandApi):
    @extend_schema(
        request=CancelInputSerializer,
        responses={200: PrescriptionOutputSerializer, **ERRORS, **NOT_FOUND, **CANCELLED},
        tags=["commands"],
        summary="Cancelar uma prescrição (sai da lista de trabalho da farmácia)",
    )
    def post(self, request, prescricao_id: int):
        serializer = CancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prescricao = commands.cancel_prescription(
            prescricao_id=prescricao_id, motivo=serializer.validated_data["motivo"]
        )
        return _prescription_response(prescricao, status.HTTP_200_OK)
