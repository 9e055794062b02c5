"""Password rules (OWASP ASVS 2.1): at least 10 characters, up to 200 (so 64+ is fine, and
passphrases with spaces too), not one of the 20,000 most common passwords, not one repeated
character or a run like "abcdefghij"."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from zelfzorg.errors import N_, ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"
E_SHORT = N_("Kies een wachtwoord van minstens %(n)s tekens.")
E_LONG = N_("Dit wachtwoord is te lang.")
E_COMMON = N_(
    "Dit wachtwoord wordt veel gebruikt en is daardoor makkelijk te raden. Kies een ander, "
    "bijvoorbeeld een zin van een paar woorden."
)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def _too_simple(password: str) -> bool:
    if len(set(password)) <= 2:
        return True
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return steps in ({1}, {-1}, {0})


def validate_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(E_SHORT, field="password", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise ValidationError(E_LONG, field="password")
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        raise ValidationError(E_COMMON, field="password")
    if _too_simple(password):
        raise ValidationError(E_COMMON, field="password")
