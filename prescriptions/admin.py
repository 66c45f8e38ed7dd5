"""Admin of prescriptions: created and changed only through `prescriptions.commands`.

Adding runs `create_prescription` with the inline items; changing runs one
`revise_prescription` with every inline change (new rows, edited rows,
deleted rows, the date), so a change form saves all or nothing. Broken rules
come back on the form (see `hospital.admin_commands`).
"""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from hospital.admin_commands import CommandModelAdmin
from prescriptions import commands
from prescriptions.models import Prescricao, PrescricaoMedicamento
from prescriptions.rules import ItemInput


class ItemInline(admin.TabularInline):
    model = PrescricaoMedicamento
    fields = ["medicamento", "horario", "dosagem"]
    autocomplete_fields = ["medicamento"]
    min_num = 0

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return 3 if obj is None else 1

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


@admin.register(Prescricao)
class PrescricaoAdmin(CommandModelAdmin):
    inlines = [ItemInline]
    list_display = ["id", "data_prescricao", "medico", "paciente", "status", "quantidade_itens"]
    list_filter = ["status", "medico__especialidade", "data_prescricao"]
    list_select_related = ["medico", "paciente"]
    search_fields = ["paciente__nome", "medico__nome", "medico__crm"]
    date_hierarchy = "data_prescricao"
    autocomplete_fields = ["medico", "paciente"]
    actions = ["cancelar"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_quantidade_itens=Count("itens"))

    @admin.display(description="medicamentos", ordering="_quantidade_itens")
    def quantidade_itens(self, obj: Prescricao) -> int:
        return obj._quantidade_itens

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

    def save_model(self, request, obj, form, change):
        """Nothing here: the command runs in `save_related`, where the inline items are known."""

    def save_related(self, request, form, formsets, change):
        (items,) = formsets
        if change:
            commands.revise_prescription(prescricao_id=form.instance.pk, revision=self._revision(form, items))
        else:
            created = commands.create_prescription(
                medico_id=form.cleaned_data["medico"].pk,
                paciente_id=form.cleaned_data["paciente"].pk,
                data_prescricao=form.cleaned_data["data_prescricao"],
                id_atendimento=form.cleaned_data.get("id_atendimento") or None,
                itens=[_item_input(f) for f in self._filled_forms(items)],
            )
            form.instance.pk = created.pk
        # The command saved everything; the admin's change message reads these lists.
        items.new_objects, items.changed_objects, items.deleted_objects = [], [], []

    @staticmethod
    def _filled_forms(formset):
        return [f for f in formset.forms if f.has_changed() and not _deleted(formset, f)]

    def _revision(self, form, formset) -> commands.Revision:
        add, change, remove = [], {}, []
        for index, item_form in enumerate(formset.forms, start=1):
            existing = item_form.instance.pk
            if existing and _deleted(formset, item_form):
                remove.append(existing)
            elif existing and item_form.has_changed():
                change[existing] = (f"linha {index}", _item_input(item_form))
            elif not existing and item_form.has_changed() and not _deleted(formset, item_form):
                add.append((f"linha {index}", _item_input(item_form)))
        new_date = form.cleaned_data.get("data_prescricao") if "data_prescricao" in form.changed_data else None
        return commands.Revision(data_prescricao=new_date, add=add, change=change, remove=remove)

    @admin.display(description="receita do paciente")
    def receita(self, obj: Prescricao) -> str:
        """Links to the receita the pharmacy hands out (rendered from the read model)."""
        url = reverse("pharmacy-receita", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank">Abrir para imprimir</a> · <a href="{}?formato=pdf">Baixar PDF</a>', url, url
        )

    @admin.action(description="Cancelar as prescrições selecionadas")
    def cancelar(self, request, queryset):
        self.run_command_action(
            request,
            queryset,
            lambda obj: commands.cancel_prescription(prescricao_id=obj.pk, motivo="Cancelada pelo administrador"),
            "{count} prescrição(ões) cancelada(s).",
        )
