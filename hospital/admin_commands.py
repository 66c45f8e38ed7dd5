"""Admin plumbing for models that change only through domain commands.

`CommandModelAdmin` lets a ModelAdmin save by calling a command, and shows a
`DomainError` raised by that command as errors on the re-rendered form, with
nothing saved. Django's admin wraps saves in one `transaction.atomic`; that
block is left out here because every command opens its own durable
transaction (a command must never run nested inside someone else's).
"""

import re

from django.contrib import admin, messages

from hospital.errors import DomainError

# Command input field -> admin form field, where the names differ.
FORM_FIELDS = {"id_medico": "medico", "id_paciente": "paciente", "id_medicamento": "medicamento"}


FIELD_LABELS = {
    "id_medicamento": "medicamento",
    "horario": "horário",
    "dosagem": "dosagem",
    "item_id": "item",
    "id_prescricao": "prescrição",
    "id_medico": "médico",
    "id_paciente": "paciente",
    "data_prescricao": "data da prescrição",
    "crm_uf": "UF do CRM",
    "prontuario": "prontuário",
}


def _describe(field: str) -> str:
    """A command's field path as staff read it: 'medicamentos[1].horario' -> 'Linha 2 (horário)'."""
    head, _, tail = field.rpartition(".")
    label = FIELD_LABELS.get(tail, tail)
    row = re.fullmatch(r"medicamentos\[(\d+)\]", head)
    if row:
        head = f"linha {int(row[1]) + 1}"
    return f"{head.capitalize()} ({label})" if head else label.capitalize()


class CommandModelAdmin(admin.ModelAdmin):
    """Base admin for aggregates written by commands: no deletes, errors shown on the form."""

    change_only_fields: tuple[str, ...] = ("ativo",)  # register commands create active records

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [name for name in fields if name not in self.change_only_fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting bypasses the domain; deactivate or cancel instead

    def error_on_row(self, request, field: str) -> bool:
        """True when an inline row shows this command error itself (not repeated at the top of the form)."""
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Django's version wraps this call in transaction.atomic(); our commands are durable.
        try:
            return self._changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            request.command_error = error
            messages.error(request, "Nada foi gravado: corrija os erros abaixo.")
            return self._changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        error: DomainError | None = getattr(request, "command_error", None)
        if error is None:
            return form_class
        on_form = [e for e in error.errors if not self.error_on_row(request, e.field)]

        class FormWithCommandErrors(form_class):
            def clean(self):
                cleaned_data = super().clean()
                for field_error in on_form:
                    name = FORM_FIELDS.get(field_error.field, field_error.field)
                    if name in self.fields:
                        self.add_error(name, field_error.message)
                    else:
                        self.add_error(None, f"{_describe(field_error.field)}: {field_error.message}")
                return cleaned_data

        return FormWithCommandErrors

    def run_command_action(self, request, queryset, command, success: str, history: str) -> None:
        """Run `command(obj)` for each selected object; report successes and refusals; log `history` for each."""
        done = 0
        for obj in queryset:
            try:
                result = command(obj)
                done += 1
                position = getattr(result, "event_position", None)
                suffix = f" (evento do outbox nº {position})" if position else ""
                self.log_change(request, obj, f"{history}{suffix}.")
            except DomainError as error:
                messages.error(request, f"{obj}: {error}")
        if done:
            messages.success(request, success.format(count=done))
