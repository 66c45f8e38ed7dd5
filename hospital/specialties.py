"""The fixed list of medical specialties, stored by name (the read model shows them as-is)."""

from django.db import models


class Especialidade(models.TextChoices):
    CARDIOLOGIA = "Cardiologia", "Cardiologia"
    CLINICA_MEDICA = "Clínica Médica", "Clínica Médica"
    PEDIATRIA = "Pediatria", "Pediatria"
    ONCOLOGIA = "Oncologia", "Oncologia"
    PSIQUIATRIA = "Psiquiatria", "Psiquiatria"
    NEUROLOGIA = "Neurologia", "Neurologia"
    INFECTOLOGIA = "Infectologia", "Infectologia"
