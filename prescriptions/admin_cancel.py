"""The admin's cancel step: a confirmation page that asks for the reason, then the cancel command.

Reached from the "Cancelar prescrição" button of an active prescription's
page (`<id>/cancelar/`). The reason is required: it is stored with the
prescription, travels in the `PrescricaoCancelada` event and shows in the
pharmacy's document (`motivo_cancelamento`). The cancellation is logged in
the prescription's history with its reason and outbox position.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from hospital.errors import DomainError
from prescriptions import commands
from prescriptions.admin_history import describe_cancellation
from prescriptions.models import Prescricao


class CancelForm(forms.Form):
    motivo = forms.CharField(
        label="Motivo do cancelamento",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Obrigatório: a farmácia vê este motivo no documento da prescrição.",
    )

    def clean_motivo(self) -> str:
        motivo = self.cleaned_data["motivo"].strip()
        if len(motivo) < 3:
            raise forms.ValidationError("Descreva o motivo (ao menos 3 caracteres).")
        return motivo


def cancel_view(model_admin, request, object_id: str):
    """GET: the confirmation page; POST with a reason: cancel, log, back to the (now read-only) page."""
    prescricao = Prescricao.objects.select_related("medico", "paciente").filter(pk=object_id).first()
    if prescricao is None:
        raise Http404("Prescrição inexistente.")
    if not model_admin.has_cancel_permission(request, prescricao):
        raise PermissionDenied
    change_url = reverse("admin:prescriptions_prescricao_change", args=[prescricao.pk])
    if not prescricao.ativa:
        messages.warning(request, f"A prescrição {prescricao.pk} já está cancelada.")
        return HttpResponseRedirect(change_url)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = commands.cancel_prescription(id_prescricao=prescricao.pk, motivo=form.cleaned_data["motivo"])
        except DomainError as error:
            messages.error(request, "; ".join(e.message for e in error.errors))
            return HttpResponseRedirect(change_url)
        model_admin.log_change(
            request, cancelled, describe_cancellation(cancelled.motivo_cancelamento, cancelled.event_position)
        )
        messages.success(request, f"Prescrição {prescricao.pk} cancelada. Motivo: {cancelled.motivo_cancelamento}")
        return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Cancelar a prescrição {prescricao.pk}?",
        "opts": model_admin.model._meta,
        "original": prescricao,
        "itens": prescricao.itens.select_related("medicamento"),
        "form": form,
        "errors": helpers.AdminErrorList(form, []),
        "change_url": change_url,
    }
    return TemplateResponse(request, "admin/prescriptions/prescricao/cancel_confirmation.html", context)
