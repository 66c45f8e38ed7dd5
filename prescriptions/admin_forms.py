"""Form pieces of the prescription admin: the HH:MM time field and the specialty-aware pickers.

- `HorarioField`: the admin's clock ("Agora") fills HH:MM:SS; the field
  accepts it and keeps the minute (HH:MM is the domain's rule), and shows
  saved times as HH:MM.
- `DoctorSelect` / `MedicationSelect`: plain selects whose options carry the
  doctor's specialty and the medication's allowed specialties; restricted
  medications say so in their label ("Ciclofosfamida — só Oncologia") and
  `prescriptions/admin/specialty_picker.js` disables the ones the chosen
  doctor may not prescribe. On a saved prescription (its doctor fixed) only
  what that doctor may prescribe is offered.
- `ItemForm.command_errors`: a refused command's errors for this row, shown
  on the row's fields (set by `ItemInline.get_formset`).
"""

import datetime as dt

from django import forms
from django.contrib.admin.widgets import AdminTimeWidget

from hospital.models import Medicamento, Medico
from prescriptions.models import PrescricaoMedicamento


class HorarioField(forms.TimeField):
    """HH:MM; HH:MM:SS (the clock widget's "Agora") is accepted and truncated to the minute."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", AdminTimeWidget(format="%H:%M"))
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        kwargs.setdefault("help_text", "HH:MM (segundos são descartados).")
        super().__init__(**kwargs)

    def to_python(self, value) -> dt.time | None:
        parsed = super().to_python(value)
        return parsed.replace(second=0, microsecond=0) if parsed else parsed


def medication_label(medicamento: Medicamento) -> str:
    allowed = ", ".join(medicamento.especialidades_permitidas)
    return f"{medicamento.nome} — só {allowed}" if allowed else medicamento.nome


class MedicationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Medicamento) -> str:
        return medication_label(obj)


class MedicationSelect(forms.Select):
    """Options carry `data-especialidades` (comma-separated; empty: any specialty)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-especialidades"] = ",".join(instance.especialidades_permitidas)
        return option


class DoctorSelect(forms.Select):
    """Options carry the doctor's `data-especialidade`."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-especialidade"] = instance.especialidade
        return option


class DoctorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Medico) -> str:
        return f"{obj.nome} — {obj.especialidade} ({obj.crm}/{obj.crm_uf})"


def doctor_field(**kwargs) -> DoctorChoiceField:
    return DoctorChoiceField(
        queryset=Medico.objects.filter(ativo=True).order_by("nome"), widget=DoctorSelect, label="médico", **kwargs
    )


def medications_for(especialidade: str | None, keep: set[int] = frozenset()):
    """Active medications `especialidade` may prescribe (all when None), plus the ids in `keep`."""
    queryset = Medicamento.objects.filter(ativo=True)
    if especialidade:
        allowed = [m.pk for m in queryset if m.permite(especialidade)]
        queryset = Medicamento.objects.filter(pk__in=[*allowed, *keep])
    return queryset.order_by("nome")


class ItemForm(forms.ModelForm):
    """One prescribed medication; the command checks the rules, errors it reports for this row land here."""

    medicamento = MedicationChoiceField(queryset=medications_for(None), widget=MedicationSelect, label="medicamento")
    horario = HorarioField(label="horário")
    command_errors: list[tuple[str, str]] = []

    class Meta:
        model = PrescricaoMedicamento
        fields = ["medicamento", "horario", "dosagem"]

    @classmethod
    def offering(cls, medications) -> type["ItemForm"]:
        """This form with the medication choices limited to `medications` (a queryset)."""

        class ItemFormOffering(cls):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["medicamento"].queryset = medications

        return ItemFormOffering

    def clean(self):
        cleaned_data = super().clean()
        for field, message in self.command_errors:
            self.add_error(field, message)
        return cleaned_data
