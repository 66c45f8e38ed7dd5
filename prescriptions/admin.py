"""Admin of prescriptions: created and changed only through `prescriptions.commands`.

Adding runs `create_prescription` with the inline items; changing runs one
`revise_prescription` with every inline change (new rows, edited rows,
deleted rows, the date), so a change form saves all or nothing. Broken rules
come back on the form, each item's on its own row (see
`hospital.admin_commands`). Cancelling is a button on the prescription's
page with a confirmation step and a required reason (`admin_cancel`); a
cancelled prescription's page is read-only. Every command run here leaves a
readable history entry (`admin_history`).
"""

import re

from django.contrib import admin
from django.db.models import Count
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe

from hospital.admin_commands import CommandModelAdmin
from prescriptions import commands
from prescriptions.admin_cancel import cancel_view
from prescriptions.admin_forms import ItemForm, doctor_field, medications_for
from prescriptions.admin_history import describe_creation, describe_revision, snapshot
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prescriptions.rules import ItemInput

ROW_FIELDS = {"id_medicamento": "medicamento", "horario": "horario", "dosagem": "dosagem"}


def _row_errors(request) -> dict[int, list[tuple[str, str]]]:
    """A refused command's item errors by inline form index (from the prefixes `save_related` mapped)."""
    error, rows = getattr(request, "command_error", None), getattr(request, "item_rows", {})
    placed: dict[int, list[tuple[str, str]]] = {}
    for field_error in error.errors if error else []:
        head, _, tail = field_error.field.rpartition(".")
        if head in rows and tail in ROW_FIELDS:
            placed.setdefault(rows[head], []).append((ROW_FIELDS[tail], field_error.message))
    return placed


class ItemInline(admin.TabularInline):
    model = PrescricaoMedicamento
    form = ItemForm
    fields = ["medicamento", "horario", "dosagem"]
    min_num = 0

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return 2 if obj is None else 1

    def get_formset(self, request, obj=None, **kwargs):
        if obj is not None:  # the doctor is fixed: offer only what they may prescribe
            kept = set(obj.itens.values_list("medicamento_id", flat=True))
            kwargs["form"] = ItemForm.offering(medications_for(obj.medico.especialidade, kept))
        formset = super().get_formset(request, obj, **kwargs)
        errors = _row_errors(request)

        class WithRowErrors(formset):
            def validate_unique(self):
                """The command reports a repeated item, on the repetition's row, in the domain's words."""

            def _construct_form(self, i, **form_kwargs):
                form = super()._construct_form(i, **form_kwargs)
                form.command_errors = errors.get(i, [])
                return form

        return WithRowErrors

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is None or obj.ativa

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None or obj.ativa

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and obj.ativa


def _deleted(formset, form) -> bool:
    return bool(formset.can_delete and form.cleaned_data.get("DELETE"))


def _item_input(form) -> ItemInput:
    data = form.cleaned_data
    return ItemInput(data["medicamento"].pk, data["horario"], data["dosagem"])


def _friendlier(message: str) -> str:
    """Django's gender-blind "O prescrição “Prescrição 5” foi adicionado ..." as staff would say it."""
    match = re.match(r"O prescrição “(.+?)” foi (adicionado|alterado) com sucesso\.(.*)", message, re.S)
    if not match:
        return message
    done = "criada" if match[2] == "adicionado" else "alterada"
    rest = match[3].replace("editá-lo", "editá-la").replace("outro prescrição", "outra prescrição")
    return f"{match[1]} {done} com sucesso.{rest}"


@admin.register(Prescricao)
class PrescricaoAdmin(CommandModelAdmin):
    inlines = [ItemInline]
    list_display = ["id", "data_prescricao", "paciente_nome", "medico_nome", "status", "medicamentos"]
    list_display_links = ["id", "data_prescricao"]
    list_filter = ["status", "medico__especialidade", "medico", "paciente", "data_prescricao"]
    list_select_related = ["medico", "paciente"]
    search_fields = [
        "paciente__nome",
        "=paciente__prontuario",
        "medico__nome",
        "medico__crm",
        "itens__medicamento__nome",
    ]
    date_hierarchy = "data_prescricao"
    autocomplete_fields = ["paciente"]
    change_form_template = "admin/prescriptions/prescricao/change_form.html"

    class Media:
        js = ["prescriptions/admin/specialty_picker.js"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_quantidade_itens=Count("itens"))
            .prefetch_related("itens__medicamento")
        )

    @admin.display(description="paciente", ordering="paciente__nome")
    def paciente_nome(self, obj: Prescricao) -> str:
        return obj.paciente.nome

    @admin.display(description="médico", ordering="medico__nome")
    def medico_nome(self, obj: Prescricao) -> str:
        return obj.medico.nome

    @admin.display(description="medicamentos", ordering="_quantidade_itens")
    def medicamentos(self, obj: Prescricao) -> str:
        names = sorted({item.medicamento.nome for item in obj.itens.all()})
        return format_html("{}", ", ".join(names))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "medico":
            return doctor_field(required=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["medico", "paciente", "data_prescricao", "id_atendimento"]
        return [
            "medico", "paciente", "data_prescricao", "id_atendimento",
            "status", "cancelada_em", "motivo_cancelamento", "receita",
        ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["medico", "paciente", "id_atendimento", "status", "cancelada_em", "motivo_cancelamento", "receita"]
        return readonly if obj.ativa else [*readonly, "data_prescricao"]

    def has_change_permission(self, request, obj=None) -> bool:
        """A cancelled prescription no longer changes: its page is read-only (no SALVAR to fail)."""
        return super().has_change_permission(request, obj) and (obj is None or obj.ativa)

    def has_cancel_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj)

    def get_urls(self):
        cancel = self.admin_site.admin_view(lambda request, object_id: cancel_view(self, request, object_id))
        return [path("<path:object_id>/cancelar/", cancel, name="prescriptions_prescricao_cancel"), *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["has_cancel_permission"] = obj is not None and self.has_cancel_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def message_user(self, request, message, *args, **kwargs):
        friendlier = _friendlier(str(message))
        super().message_user(
            request, mark_safe(friendlier) if isinstance(message, SafeData) else friendlier, *args, **kwargs
        )

    def error_on_row(self, request, field: str) -> bool:
        return field.rpartition(".")[0] in getattr(request, "item_rows", {})

    def save_model(self, request, obj, form, change):
        """Nothing here: the command runs in `save_related`, where the inline items are known."""

    def save_related(self, request, form, formsets, change):
        (items,) = formsets
        if change:
            before = snapshot(form.instance.pk)
            revised = commands.revise_prescription(
                id_prescricao=form.instance.pk, revision=self._revision(request, form, items)
            )
            request.command_summary = describe_revision(before, snapshot(revised.pk), revised.event_position)
        else:
            filled = self._filled_forms(items)
            request.item_rows = {f"medicamentos[{k}]": items.forms.index(f) for k, f in enumerate(filled)}
            created = commands.create_prescription(
                id_medico=form.cleaned_data["medico"].pk,
                id_paciente=form.cleaned_data["paciente"].pk,
                data_prescricao=form.cleaned_data["data_prescricao"],
                id_atendimento=form.cleaned_data.get("id_atendimento") or None,
                medicamentos=[_item_input(f) for f in filled],
            )
            form.instance.pk = created.pk
            request.command_summary = describe_creation(snapshot(created.pk), created.event_position)
        # The command saved everything; the admin's change message reads these lists.
        items.new_objects, items.changed_objects, items.deleted_objects = [], [], []

    def construct_change_message(self, request, form, formsets, add=False):
        return getattr(request, "command_summary", None) or super().construct_change_message(
            request, form, formsets, add
        )

    @staticmethod
    def _filled_forms(formset):
        return [f for f in formset.forms if f.has_changed() and not _deleted(formset, f)]

    def _revision(self, request, form, formset) -> commands.Revision:
        add, change, remove = [], {}, []
        request.item_rows = {}
        for index, item_form in enumerate(formset.forms):
            existing, prefix = item_form.instance.pk, f"medicamentos[{index}]"
            request.item_rows[prefix] = index
            if existing:
                request.item_rows[f"item {existing}"] = index
            if existing and _deleted(formset, item_form):
                remove.append(existing)
            elif existing and item_form.has_changed():
                change[existing] = (prefix, _item_input(item_form))
            elif not existing and item_form.has_changed() and not _deleted(formset, item_form):
                add.append((prefix, _item_input(item_form)))
        new_date = form.cleaned_data.get("data_prescricao") if "data_prescricao" in form.changed_data else None
        return commands.Revision(data_prescricao=new_date, add=add, change=change, remove=remove)

    @admin.display(description="receita do paciente")
    def receita(self, obj: Prescricao) -> str:
        """Links to the receita the pharmacy hands out (rendered from the read model)."""
        url = reverse("pharmacy-receita", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank">Abrir para imprimir</a> · <a href="{}?formato=pdf">Baixar PDF</a>', url, url
        )

    def view_on_site(self, obj: Prescricao) -> str:
        return reverse("admin:pharmacy_prescricaodocumento_change", args=[obj.pk])
