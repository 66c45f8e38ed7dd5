"""Every operator command answers in English and states the sync mode in effect."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

# Words of the Portuguese operator output these commands used to print.
PORTUGUESE = re.compile(
    r"\b(evento|eventos|modo|nada|reenviad\w*|removid\w*|aguardando|lote|publicad\w*|passada|falha|"
    r"tentativas|prescrições|médicos|pacientes|medicamentos|usuários|ativo)\b",
    re.IGNORECASE,
)

COMMANDS = [
    ("seed_demo",),
    ("sync_status",),
    ("verify_read_model",),
    ("rebuild_read_model",),
    ("rebuild_read_model", "--in-place"),
    ("switch_sync_mode", "trigger"),
    ("switch_sync_mode", "trigger", "--force"),
    ("outbox_relay", "--once"),
    ("outbox_redrive",),
    ("outbox_redrive", "--list"),
    ("outbox_purge",),
]


def _call(*argv: str) -> str:
    out = StringIO()
    call_command(*argv, stdout=out, stderr=out)
    return out.getvalue()


def test_every_operator_command_answers_in_english_and_states_the_mode():
    outputs = {argv: _call(*argv) for argv in COMMANDS}
    for argv, output in outputs.items():
        assert "sync mode: trigger (from the database)" in output, (argv, output)
        # Demo data (names, addresses, the cancellation reason) stays Portuguese; the sentences around it not.
        prose = re.sub(r"(Substituída|Dr\.|Dra\.)[^\n]*", "", output)
        assert not PORTUGUESE.search(prose), (argv, output)
    assert "  prescriptions: 21 (1 cancelled); created now: 21, already there: 0" in outputs[("seed_demo",)]
    assert "database mode: trigger -> trigger" in outputs[("switch_sync_mode", "trigger", "--force")]
    assert "0 event(s) published in" in outputs[("outbox_relay", "--once")]
