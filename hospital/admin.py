"""Admin of master data: every save goes through `hospital.commands`."""

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


@admin.register(Medico)
class MedicoAdmin(CommandModelAdmin):
    list_display = ["nome", "especialidade", "crm", "crm_uf", "ativo"]
    list_filter = ["especialidade", "crm_uf", "ativo"]
    search_fields = ["nome", "crm"]
    fields = ["nome", "especialidade", "crm", "crm_uf", "ativo"]

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data[key] for key in ("nome", "especialidade", "crm", "crm_uf")}
        if change:
            commands.update_doctor(id_medico=obj.pk, ativo=form.cleaned_data["ativo"], **data)
        else:
            obj.pk = commands.register_doctor(**data).pk


@admin.register(Paciente)
class PacienteAdmin(CommandModelAdmin):
    list_display = ["nome", "prontuario", "data_nascimento", "endereco", "ativo"]
    list_filter = ["ativo"]
    search_fields = ["nome", "=prontuario"]
    fields = ["nome", "prontuario", "data_nascimento", "endereco", "ativo", "prescricoes"]
    readonly_fields = ["prescricoes"]
    change_only_fields = ("ativo", "prescricoes")

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

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data[key] for key in ("nome", "data_nascimento", "endereco", "prontuario")}
        if change:
            commands.update_patient(id_paciente=obj.pk, ativo=form.cleaned_data["ativo"], **data)
        else:
            obj.pk = commands.register_patient(**data).pk


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
class MedicamentoAdmin(CommandModelAdmin):
    form = MedicamentoForm
    list_display = ["nome", "descricao", "restricao", "ativo"]
    list_filter = ["ativo"]
    search_fields = ["nome"]
    actions = ["desativar"]

    @admin.display(description="restrito a")
    def restricao(self, obj: Medicamento) -> str:
        return ", ".join(obj.especialidades_permitidas) or "qualquer especialidade"

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data[key] for key in ("nome", "descricao", "especialidades_permitidas")}
        if change:
            commands.update_medication(id_medicamento=obj.pk, ativo=form.cleaned_data["ativo"], **data)
        else:
            obj.pk = commands.register_medication(**data).pk

    @admin.action(description="Desativar os medicamentos selecionados (não poderão ser prescritos)")
    def desativar(self, request, queryset):
        self.run_command_action(
            request,
            queryset,
            lambda obj: commands.deactivate_medication(id_medicamento=obj.pk),
            "{count} medicamento(s) desativado(s).",
            history="Desativado (não pode mais ser prescrito)",
        )
