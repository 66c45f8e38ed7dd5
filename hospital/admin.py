"""Admin of master data: every save goes through `hospital.commands`."""

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from hospital import commands
from hospital.admin_commands import CommandModelAdmin
from hospital.identifiers import normalize_prontuario
from hospital.models import Medicamento, Medico, Paciente
from hospital.specialties import Especialidade

admin.site.site_header = "Prescrições hospitalares"
admin.site.site_title = "Prescrições"
admin.site.index_title = "Administração"


class _MasterDataAdmin(CommandModelAdmin):
    """Saves through the record's commands: `register` on add, `update` (with `ativo`) on change."""

    command_fields: tuple[str, ...]  # form fields both commands take
    id_argument: str  # the update command's id argument
    register: Callable
    update: Callable

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data[key] for key in self.command_fields}
        if change:
            self.update(**{self.id_argument: obj.pk}, ativo=form.cleaned_data["ativo"], **data)
        else:
            obj.pk = self.register(**data).pk


@admin.register(Medico)
class MedicoAdmin(_MasterDataAdmin):
    list_display = ["nome", "especialidade", "crm", "crm_uf", "ativo"]
    list_filter = ["especialidade", "crm_uf", "ativo"]
    search_fields = ["nome", "crm"]
    fields = ["nome", "especialidade", "crm", "crm_uf", "ativo"]
    command_fields, id_argument = ("nome", "especialidade", "crm", "crm_uf"), "id_medico"
    register, update = staticmethod(commands.register_doctor), staticmethod(commands.update_doctor)


@admin.register(Paciente)
class PacienteAdmin(_MasterDataAdmin):
    list_display = ["nome", "prontuario", "data_nascimento", "endereco", "ativo"]
    list_filter = ["ativo"]
    search_fields = ["nome", "=prontuario"]
    fields = ["nome", "prontuario", "data_nascimento", "endereco", "ativo", "prescricoes"]
    readonly_fields = ["prescricoes"]
    change_only_fields = ("ativo", "prescricoes")
    command_fields, id_argument = ("nome", "data_nascimento", "endereco", "prontuario"), "id_paciente"
    register, update = staticmethod(commands.register_patient), staticmethod(commands.update_patient)

    @admin.display(description="prescrições")
    def prescricoes(self, obj: Paciente) -> str:
        """The patient's prescriptions, newest first, each a link to its page."""
        rows = obj.prescricoes.select_related("medico").prefetch_related("itens__medicamento")[:50]
        if not rows:
            return "Nenhuma prescrição."
        return format_html(
            "<ul style='margin:0;padding-left:1em'>{}</ul>",
            format_html_join(
                "",
                "<li><a href='{}'>{}</a> — {} — {} — {}</li>",
                (
                    (
                        reverse("admin:prescriptions_prescricao_change", args=[row.pk]),
                        f"Prescrição {row.pk}",
                        date_format(localtime(row.data_prescricao), "d/m/Y H:i"),
                        row.medico.nome,
                        row.get_status_display()
                        + ": "
                        + ", ".join(f"{item.medicamento.nome} {item.horario:%H:%M}" for item in row.itens.all()),
                    )
                    for row in rows
                ),
            ),
        )

    def get_search_results(self, request, queryset, search_term):
        """A record number typed with dots or hyphens ("10.203-0") finds the patient too."""
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        digits = normalize_prontuario(search_term)
        if digits and digits != search_term.strip():
            queryset |= self.model.objects.filter(prontuario=digits)
        return queryset, duplicates


class MedicamentoForm(forms.ModelForm):
    especialidades_permitidas = forms.MultipleChoiceField(
        label="Especialidades permitidas",
        choices=Especialidade.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Nenhuma marcada: qualquer especialidade pode prescrever.",
    )

    class Meta:
        model = Medicamento
        fields = ["nome", "descricao", "especialidades_permitidas", "ativo"]


@admin.register(Medicamento)
class MedicamentoAdmin(_MasterDataAdmin):
    form = MedicamentoForm
    list_display = ["nome", "descricao", "restricao", "ativo"]
    list_filter = ["ativo"]
    search_fields = ["nome"]
    actions = ["desativar"]
    command_fields, id_argument = ("nome", "descricao", "especialidades_permitidas"), "id_medicamento"
    register, update = staticmethod(commands.register_medication), staticmethod(commands.update_medication)

    @admin.display(description="restrito a")
    def restricao(self, obj: Medicamento) -> str:
        return ", ".join(obj.especialidades_permitidas) or "qualquer especialidade"

    @admin.action(description="Desativar os medicamentos selecionados (não poderão ser prescritos)")
    def desativar(self, request, queryset):
        self.run_command_action(
            request,
            queryset,
            lambda obj: commands.deactivate_medication(id_medicamento=obj.pk),
            "{count} medicamento(s) desativado(s).",
            history="Desativado (não pode mais ser prescrito)",
        )
