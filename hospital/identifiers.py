"""The identifiers of master data, normalized: a doctor's CRM (with its state) and a patient's record number.

Pure functions. A CRM is written many ways ("crm 12345", "CRM-12345",
"CRM/SP 12.345"); it is stored as `CRM` + its digits ("CRM12345", the read
model's and the source article's form) beside its state (UF), and a doctor is
unique per (CRM, UF). A prontuário (hospital record number) is stored as
its digits.
"""

import re

UFS = (
    "AC", "AL", "AM", "AP", "BA", "CE", "DF", "ES", "GO", "MA", "MG", "MS", "MT", "PA", "PB", "PE", "PI", "PR",
    "RJ", "RN", "RO", "RR", "RS", "SC", "SE", "SP", "TO",
)  # fmt: skip
UF_CHOICES = [(uf, uf) for uf in UFS]
DEFAULT_UF = "SP"
CRM_DIGITS = re.compile(r"^\d{1,7}$")
PRONTUARIO_DIGITS = re.compile(r"^\d{4,12}$")


def split_crm(value: str) -> tuple[str | None, str | None]:
    """("CRM12345", UF written in it or None) from a CRM as typed; (None, None) when it has no valid number."""
    compact = re.sub(r"[^A-Z0-9]", "", (value or "").upper())
    compact = compact.removeprefix("CRM")
    uf = None
    if compact[:2] in UFS:
        uf, compact = compact[:2], compact[2:]
    elif compact[-2:] in UFS:  # "12345-SP"
        uf, compact = compact[-2:], compact[:-2]
    if not CRM_DIGITS.match(compact):
        return None, None
    return f"CRM{int(compact)}", uf


def normalize_prontuario(value: str | None) -> str | None:
    """The record number's digits ("12.345-6" -> "123456"); None when blank; unchanged when not digits only."""
    text = (value or "").strip()
    if not text:
        return None
    digits = re.sub(r"[\s.\-/]", "", text)
    return digits if digits.isdigit() else text
