"""The peer: plain DRF over the normalized tables, as written without CQRS.

Same filters, ordering, page size, fields and permissions as the project's
read endpoints, with `select_related`/`prefetch_related` so a page costs a
constant number of queries; the nested create validates shapes and foreign
keys only (no domain rules, no outbox, no read-model sync).
"""

import datetime as dt

import django_filters
from django.db import transaction
from django.db.models import F, Prefetch
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination

from bench.peer.models import PeerItem, PeerPrescricao
from hospital.api.permissions import CanReadPharmacy, CanWritePrescriptions
from hospital.models import Medicamento, Medico, Paciente
from prescriptions.models import Prescricao, PrescricaoMedicamento


class _PrescribedMedication(serializers.ModelSerializer):
    """What the worklist item and the document's item share: the medication's id and the time, as HH:MM."""

    id_medicamento = serializers.IntegerField(source="medicamento_id")
    horario = serializers.TimeField(format="%H:%M")

    class Meta:
        model = PrescricaoMedicamento


class ItemSerializer(_PrescribedMedication):
    id_prescricao = serializers.IntegerField(source="prescricao_id")
    data_prescricao = serializers.DateTimeField(source="prescricao.data_prescricao", default_timezone=dt.UTC)
    id_medico = serializers.IntegerField(source="prescricao.medico_id")
    nome_medico = serializers.CharField(source="prescricao.medico.nome")
    especialidade_medico = serializers.CharField(source="prescricao.medico.especialidade")
    crm_medico = serializers.CharField(source="prescricao.medico.crm")
    id_paciente = serializers.IntegerField(source="prescricao.paciente_id")
    nome_paciente = serializers.CharField(source="prescricao.paciente.nome")
    data_nascimento_paciente = serializers.DateField(source="prescricao.paciente.data_nascimento")
    endereco_paciente = serializers.CharField(source="prescricao.paciente.endereco", allow_null=True)
    nome_medicamento = serializers.CharField(source="medicamento.nome")
    descricao_medicamento = serializers.CharField(source="medicamento.descricao", allow_null=True)

    class Meta(_PrescribedMedication.Meta):
        fields = [
            "id", "id_prescricao", "data_prescricao", "id_medico", "nome_medico", "especialidade_medico",
            "crm_medico", "id_paciente", "nome_paciente", "data_nascimento_paciente", "endereco_paciente",
            "id_medicamento", "nome_medicamento", "descricao_medicamento", "horario", "dosagem",
        ]  # fmt: skip


class ItemFilter(django_filters.FilterSet):
    id_prescricao = django_filters.NumberFilter(field_name="prescricao_id")
    id_paciente = django_filters.NumberFilter(field_name="prescricao__paciente_id")
    id_medico = django_filters.NumberFilter(field_name="prescricao__medico_id")
    id_medicamento = django_filters.NumberFilter(field_name="medicamento_id")
    data_prescricao__gte = django_filters.IsoDateTimeFilter(field_name="prescricao__data_prescricao", lookup_expr="gte")
    data_prescricao__lte = django_filters.IsoDateTimeFilter(field_name="prescricao__data_prescricao", lookup_expr="lte")

    class Meta:
        model = PrescricaoMedicamento
        fields = []


class ItemPagination(CursorPagination):
    ordering = ("-data_prescricao", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ItemList(generics.ListAPIView):
    permission_classes = [CanReadPharmacy]
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    pagination_class = ItemPagination

    def get_queryset(self):
        return (
            PrescricaoMedicamento.objects.filter(prescricao__status="ativa")
            .select_related("prescricao__medico", "prescricao__paciente", "medicamento")
            .annotate(data_prescricao=F("prescricao__data_prescricao"))  # the cursor's ordering
        )


class _Medico(serializers.ModelSerializer):
    id_medico = serializers.IntegerField(source="id")

    class Meta:
        model = Medico
        fields = ["id_medico", "nome", "especialidade", "crm"]


class _Paciente(serializers.ModelSerializer):
    id_paciente = serializers.IntegerField(source="id")

    class Meta:
        model = Paciente
        fields = ["id_paciente", "nome", "data_nascimento", "endereco"]


class _Item(_PrescribedMedication):
    nome = serializers.CharField(source="medicamento.nome")
    descricao = serializers.CharField(source="medicamento.descricao", allow_null=True)

    class Meta(_PrescribedMedication.Meta):
        fields = ["id_medicamento", "nome", "descricao", "horario", "dosagem"]


class DocumentSerializer(serializers.ModelSerializer):
    id_prescricao = serializers.IntegerField(source="id")
    data_prescricao = serializers.DateTimeField(default_timezone=dt.UTC)
    medico = _Medico()
    paciente = _Paciente()
    medicamentos = _Item(source="itens", many=True)

    class Meta:
        model = Prescricao
        fields = ["id_prescricao", "data_prescricao", "status", "medico", "paciente", "medicamentos"]

    def to_representation(self, instance):
        """A cancelled prescription's document says why, as the project's does."""
        data = super().to_representation(instance)
        if instance.status == "cancelada":
            data["motivo_cancelamento"] = instance.motivo_cancelamento
        return data


class PrescriptionDetail(generics.RetrieveAPIView):
    permission_classes = [CanReadPharmacy]
    serializer_class = DocumentSerializer
    filter_backends = []
    queryset = Prescricao.objects.select_related("medico", "paciente").prefetch_related(
        Prefetch(
            "itens", queryset=PrescricaoMedicamento.objects.select_related("medicamento").order_by("horario", "id")
        )
    )


class _ItemInput(serializers.ModelSerializer):
    id_medicamento = serializers.PrimaryKeyRelatedField(source="medicamento", queryset=Medicamento.objects.all())

    class Meta:
        model = PeerItem
        fields = ["id", "id_medicamento", "horario", "dosagem"]


class CreateSerializer(serializers.ModelSerializer):
    id_prescricao = serializers.IntegerField(source="id", read_only=True)
    id_medico = serializers.PrimaryKeyRelatedField(source="medico", queryset=Medico.objects.all())
    id_paciente = serializers.PrimaryKeyRelatedField(source="paciente", queryset=Paciente.objects.all())
    data_prescricao = serializers.DateTimeField(default_timezone=dt.UTC, read_only=True)
    medicamentos = _ItemInput(source="itens", many=True)

    class Meta:
        model = PeerPrescricao
        fields = ["id_prescricao", "id_medico", "id_paciente", "data_prescricao", "medicamentos"]

    @transaction.atomic
    def create(self, validated_data):
        itens = validated_data.pop("itens")
        prescricao = PeerPrescricao.objects.create(**validated_data)
        PeerItem.objects.bulk_create(PeerItem(prescricao=prescricao, **item) for item in itens)
        return prescricao


class PrescriptionCreate(generics.CreateAPIView):
    permission_classes = [CanWritePrescriptions]
    serializer_class = CreateSerializer
