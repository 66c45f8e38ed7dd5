"""Registry routes under /api/cadastros/ (read-only)."""

from rest_framework.routers import SimpleRouter

from hospital import registry

router = SimpleRouter()
router.register("medicos", registry.MedicoViewSet, basename="cadastro-medico")
router.register("pacientes", registry.PacienteViewSet, basename="cadastro-paciente")
router.register("medicamentos", registry.MedicamentoViewSet, basename="cadastro-medicamento")

urlpatterns = router.urls
