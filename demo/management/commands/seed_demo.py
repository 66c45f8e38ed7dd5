"""`manage.py seed_demo`: load the demo data idempotently, through the commands only.

The source article's example comes first and exactly (Dr. João Silva,
Maria Oliveira, Aspirina and Paracetamol, the prescription of 2023-05-20
14:30 in São Paulo), then enough varied data for the pharmacy screens:
doctors of several specialties, patients, medications restricted to
Oncologia and to Psiquiatria, about twenty prescriptions, one cancelled.

Idempotent: every record has a natural key (CRM; patient name + birth date;
medication name; doctor + patient + prescription date; username), and what
already exists is left untouched, so a second run writes nothing and emits no
outbox event. Domain data goes through `hospital.commands` and
`prescriptions.commands`, never the ORM, so the outbox and the read models
see it exactly as they see any other write. Demo users and their API tokens
are plain Django auth rows (not domain data).
"""

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from hospital import commands as master
from hospital.models import Medicamento, Medico, Paciente
from hospital.specialties import Especialidade as E
from outbox.sync_mode import mode_line
from prescriptions import commands
from prescriptions.models import Prescricao
from prescriptions.rules import ItemInput
from prontuario.models import Fonte, FonteIntegracao

SAO_PAULO = ZoneInfo("America/Sao_Paulo")

# (nome, especialidade, crm)
DOCTORS = [
    ("Dr. João Silva", E.CARDIOLOGIA, "CRM12345"),  # the source article's doctor
    ("Dra. Ana Souza", E.ONCOLOGIA, "CRM54321"),
    ("Dr. Carlos Pereira", E.CLINICA_MEDICA, "CRM23456"),
    ("Dra. Beatriz Santos", E.PEDIATRIA, "CRM34567"),
    ("Dr. Ricardo Almeida", E.PSIQUIATRIA, "CRM45678"),
    ("Dra. Fernanda Lima", E.NEUROLOGIA, "CRM56789"),
]

# (nome, data_nascimento, endereco)
PATIENTS = [
    ("Maria Oliveira", dt.date(1985, 7, 10), "Rua das Flores, 123"),  # the source article's patient
    ("José Santos", dt.date(1952, 3, 2), "Av. Paulista, 1000, ap. 52"),
    ("Ana Paula Ferreira", dt.date(1990, 11, 23), "Rua Augusta, 450"),
    ("Pedro Henrique Costa", dt.date(2016, 4, 15), "Rua Vergueiro, 77"),
    ("Luiza Rodrigues", dt.date(1978, 1, 30), None),
    ("Antônio Carlos Gomes", dt.date(1945, 9, 12), "Rua da Consolação, 2100"),
    ("Juliana Martins", dt.date(2001, 6, 5), "Alameda Santos, 15"),
    ("Rafael Souza Lima", dt.date(1969, 12, 24), "Rua Oscar Freire, 300"),
    ("Camila Ribeiro", dt.date(2019, 2, 28), "Rua Haddock Lobo, 595"),
    ("Francisco Almeida", dt.date(1958, 8, 19), "Av. Brigadeiro Faria Lima, 3477"),
]

# (nome, descricao, especialidades_permitidas)
MEDICATIONS = [
    ("Aspirina", "Analgésico e anti-inflamatório", ()),  # the source article's medications
    ("Paracetamol", "Analgésico", ()),
    ("Ciclofosfamida", "Quimioterápico alquilante", (E.ONCOLOGIA,)),
    ("Sertralina", "Antidepressivo (ISRS)", (E.PSIQUIATRIA,)),
    ("Losartana", "Anti-hipertensivo", ()),
    ("Amoxicilina", "Antibiótico", ()),
    ("Dipirona", "Analgésico e antitérmico", ()),
    ("Omeprazol", "Inibidor da bomba de prótons", ()),
    ("Metformina", "Antidiabético oral", ()),
    ("Atorvastatina", "Hipolipemiante", ()),
    ("Ondansetrona", "Antiemético", ()),
]


# Hospital record numbers (prontuários) of the demo patients, in the order above.
PRONTUARIOS = ["102030", "102031", "102032", "102033", "102034", "102035", "102036", "102037", "102038", "102039"]


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SAO_PAULO)


# (crm, paciente, data_prescricao, "medicamento HH:MM dosagem; ...", cancelled)
PRESCRIPTIONS = [
    # The source article's example, exactly.
    ("CRM12345", "Maria Oliveira", _at(2023, 5, 20, 14, 30), "Aspirina 08:00 100mg; Paracetamol 20:00 500mg", False),
    ("CRM12345", "José Santos", _at(2023, 6, 2, 9, 15), "Losartana 08:00 50mg; Atorvastatina 22:00 20mg", False),
    ("CRM12345", "Antônio Carlos Gomes", _at(2023, 7, 11, 16), "Aspirina 12:00 100mg", False),
    (
        "CRM54321", "Francisco Almeida", _at(2023, 8, 1, 10),
        "Ciclofosfamida 09:00 500mg/m²; Ondansetrona 08:30 8mg", False,
    ),
    (
        "CRM54321", "Luiza Rodrigues", _at(2023, 8, 22, 11, 45),
        "Ciclofosfamida 10:00 600mg/m²; Ondansetrona 09:30 8mg; Dipirona 18:00 1g", False,
    ),
    ("CRM23456", "Rafael Souza Lima", _at(2023, 9, 5, 8, 30), "Metformina 07:00 850mg; Metformina 19:00 850mg", False),
    ("CRM23456", "Maria Oliveira", _at(2023, 9, 18, 15), "Omeprazol 07:00 20mg", False),
    (
        "CRM34567", "Pedro Henrique Costa", _at(2023, 10, 3, 10, 20),
        "Amoxicilina 08:00 250mg; Amoxicilina 16:00 250mg; Amoxicilina 00:00 250mg", False,
    ),
    ("CRM34567", "Camila Ribeiro", _at(2023, 10, 27, 14), "Paracetamol 06:00 10 gotas; Dipirona 12:00 8 gotas", False),
    ("CRM45678", "Ana Paula Ferreira", _at(2023, 11, 8, 17), "Sertralina 08:00 50mg", False),
    ("CRM45678", "Juliana Martins", _at(2023, 12, 1, 9), "Sertralina 08:00 25mg", True),  # the cancelled one
    ("CRM56789", "Antônio Carlos Gomes", _at(2024, 1, 15, 13, 30), "Dipirona 08:00 500mg; Omeprazol 07:00 20mg", False),
    ("CRM56789", "Luiza Rodrigues", _at(2024, 2, 9, 10), "Paracetamol 08:00 750mg; Paracetamol 20:00 750mg", False),
    ("CRM12345", "Rafael Souza Lima", _at(2024, 3, 4, 11), "Losartana 08:00 50mg; Aspirina 12:00 100mg", False),
    ("CRM23456", "José Santos", _at(2024, 3, 20, 9, 40), "Amoxicilina 08:00 500mg; Amoxicilina 20:00 500mg", False),
    (
        "CRM54321", "Francisco Almeida", _at(2024, 4, 2, 10),
        "Ciclofosfamida 09:00 500mg/m²; Ondansetrona 08:30 8mg", False,
    ),
    ("CRM34567", "Pedro Henrique Costa", _at(2024, 5, 14, 15, 10), "Paracetamol 08:00 200mg", False),
    ("CRM45678", "Ana Paula Ferreira", _at(2024, 6, 6, 16), "Sertralina 08:00 100mg; Omeprazol 07:00 20mg", False),
    ("CRM23456", "Juliana Martins", _at(2024, 7, 19, 8), "Dipirona 08:00 1g; Omeprazol 07:00 20mg", False),
    ("CRM12345", "Maria Oliveira", _at(2024, 8, 23, 14), "Atorvastatina 22:00 10mg", False),
]  # fmt: skip


def _items(spec: str) -> list[tuple[str, str, str]]:
    """ "Aspirina 08:00 100mg; ..." as [(medicamento, horario, dosagem), ...] (names have no spaces)."""
    return [tuple(part.strip().split(" ", 2)) for part in spec.split(";")]


# Written in a visit (crm, paciente, when, items, id_atendimento): joins that visit's patient record.
VISIT_PRESCRIPTIONS = [
    ("CRM12345", "Maria Oliveira", _at(2024, 3, 10, 11, 20), "Aspirina 08:00 100mg", "ATD-2024-0001"),
]

# (username, password, staff/superuser, group)
USERS = [
    ("admin", "hospital-admin", True, None),
    ("farmacia", "hospital-farmacia", False, "farmacia"),
    ("prescritor", "hospital-prescritor", False, "prescritor"),
    ("clinico", "hospital-clinico", False, "clinico"),  # reads patient records
    # Integration users of the hospital's other systems: each delivers its own source's events.
    ("triagem", "hospital-triagem", False, "integracao"),
    ("laboratorio", "hospital-laboratorio", False, "integracao"),
    ("imagem", "hospital-imagem", False, "integracao"),
]


class Command(BaseCommand):
    help = "Load the demo data (the source article's example included); safe to run again."

    def handle(self, *args, **options) -> None:
        self.stdout.write(mode_line())
        self.tally: Counter[tuple[str, str]] = Counter()
        self.cancelled = 0
        doctors = {crm: self._doctor(nome, esp, crm) for nome, esp, crm in DOCTORS}
        patients = {
            nome: self._patient(nome, born, endereco, prontuario)
            for (nome, born, endereco), prontuario in zip(PATIENTS, PRONTUARIOS, strict=True)
        }
        medications = {nome: self._medication(nome, desc, allowed) for nome, desc, allowed in MEDICATIONS}
        for crm, paciente, when, items, cancelled in PRESCRIPTIONS:
            self._prescription(doctors[crm], patients[paciente], when, items, medications, cancelled)
        for crm, paciente, when, items, atendimento in VISIT_PRESCRIPTIONS:
            self._prescription(doctors[crm], patients[paciente], when, items, medications, False, atendimento)
        tokens = {username: self._user(username, password, staff, group) for username, password, staff, group in USERS}
        for fonte in Fonte.values:  # the integration user named after each source delivers its events
            FonteIntegracao.objects.get_or_create(usuario=User.objects.get(username=fonte), defaults={"fonte": fonte})
        self._report(tokens)

    # -- domain data, through the commands

    def _doctor(self, nome: str, especialidade: str, crm: str) -> Medico:
        found = Medico.objects.filter(crm=crm).first()
        self.tally["doctors", "found" if found else "created"] += 1
        return found or master.register_doctor(nome=nome, especialidade=especialidade, crm=crm)

    def _patient(self, nome: str, born: dt.date, endereco: str | None, prontuario: str) -> Paciente:
        found = Paciente.objects.filter(nome=nome, data_nascimento=born).order_by("pk").first()
        self.tally["patients", "found" if found else "created"] += 1
        return found or master.register_patient(
            nome=nome, data_nascimento=born, endereco=endereco, prontuario=prontuario
        )

    def _medication(self, nome: str, descricao: str, allowed: tuple[str, ...]) -> Medicamento:
        found = Medicamento.objects.filter(nome=nome).order_by("pk").first()
        self.tally["medications", "found" if found else "created"] += 1
        return found or master.register_medication(nome=nome, descricao=descricao, especialidades_permitidas=allowed)

    def _prescription(self, medico, paciente, when, items, medications, cancelled: bool, atendimento=None) -> None:
        prescricao = Prescricao.objects.filter(medico=medico, paciente=paciente, data_prescricao=when).first()
        self.tally["prescriptions", "found" if prescricao else "created"] += 1
        if prescricao is None:
            prescricao = commands.create_prescription(
                id_medico=medico.pk,
                id_paciente=paciente.pk,
                data_prescricao=when,
                id_atendimento=atendimento,
                medicamentos=[
                    ItemInput(medications[nome].pk, horario, dosagem) for nome, horario, dosagem in _items(items)
                ],
            )
        if cancelled and prescricao.ativa:
            prescricao = commands.cancel_prescription(
                id_prescricao=prescricao.pk, motivo="Substituída após reavaliação (demo)."
            )
        self.cancelled += not prescricao.ativa

    # -- demo logins (plain auth rows)

    def _user(self, username: str, password: str, staff: bool, group: str | None) -> tuple[str, str, bool]:
        user = User.objects.filter(username=username).first()
        created = user is None
        if created:
            if staff:
                user = User.objects.create_superuser(username, f"{username}@hospital.example", password)
            else:
                user = User.objects.create_user(username, f"{username}@hospital.example", password)
        if group and not user.groups.filter(name=group).exists():
            user.groups.add(Group.objects.get_or_create(name=group)[0])  # migrations create it; a flush drops it
        token, _ = Token.objects.get_or_create(user=user)
        self.tally["users", "created" if created else "found"] += 1
        return password, token.key, created

    def _report(self, tokens: dict[str, tuple[str, str, bool]]) -> None:
        self.stdout.write("Demo data:")
        kinds = dict.fromkeys(kind for kind, _ in self.tally)
        for kind in kinds:
            created, found = self.tally[kind, "created"], self.tally[kind, "found"]
            detail = f" ({self.cancelled} cancelled)" if kind == "prescriptions" else ""
            line = f"  {kind}: {created + found}{detail}; created now: {created}, already there: {found}"
            self.stdout.write(self.style.SUCCESS(line) if created else line)
        self.stdout.write("Demo logins (admin at /admin/, API token as 'Authorization: Token <key>'):")
        for username, (password, key, created) in tokens.items():
            shown = password if created else f"{password} (unless changed since it was created)"
            self.stdout.write(f"  {username:<11} password {shown:<20} token {key}")
