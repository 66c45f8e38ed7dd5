"""Admin of master data: every save goes through `hospital.commands`."""

from django import forms
from django.contrib import admin

from hospital import commands
from hospital.admin_commands import CommandModelAdmin
from hospital.models import Medicamento, Medico, Paciente
from hospital.specialties import Especialidade

admin.site.site_header = "Prescrições hospitalares"
admin.site.site_title = "Prescrições"
admin.site.index_title = "Administração"


@admin.register(Medico)
class MedicoAdmin(CommandModelAdmin):
    list_display = ["nome", "especialidade", "crm", "ativo"]
    list_filter = ["especialidade", "ativo"]
    search_fields = ["nome", "crm"]
    fields = ["nome", "especialidade", "crm", "ativo"]

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data[key] for key in ("nome", "especialidade", "crm")}
        if change:
            commands.update_doctor(medico_id=obj.pk, ativo=form.cleaned_data["ativo"], **data)
        else:
            obj.pk = commands.register_doctor(**data).pk


@admin.register(Paciente)
class PacienteAdmin(CommandModelAdmin):
    list_display = ["nome", "data_nascimento", "endereco", "ativo"]
    list_filter = ["ativo"]
    search_fields = ["nome"]
    fields = ["nome", "data_nascimento", "endereco", "ativo"]

    def save_model(self, request, obj, form, change):
        data = {key: form.cleaned_data[key] for key in ("nome", "data_nascimento", "endereco")}
        if change:
            commands.update_patient(paciente_id=obj.pk, ativo=form.cleaned_data["ativo"], **data)
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
            commands.update_medication(medicamento_id=obj.pk, ativo=form.cleaned_data["ativo"], **data)
        else:
            obj.pk = commands.register_medication(**data).pk

    @admin.action(description="Desativar os medicamentos selecionados (não poderão ser prescritos)")
    def desativar(self, request, queryset):
        self.run_command_action(
            request,
            queryset,
            lambda obj: commands.deactivate_medication(medicamento_id=obj.pk),
            "{count} medicamento(s) desativado(s).",
        )
