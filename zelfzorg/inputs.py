"""The input boundary: one way to read ids, numbers, dates, times and text from people and
devices. Services, forms, query strings and the API all parse through here, so a value that
passes is one the database and the formatting code can hold (no 500 on odd input).

Nothing here imports Flask (services use it); the request-level hooks live in
``zelfzorg.boundary``.
"""

from __future__ import annotations

import contextlib
import math
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from zelfzorg.errors import N_, ValidationError

# Primary keys and versions are INTEGER columns: PostgreSQL holds 2^31 - 1 at most.
DB_INT_MAX = 2**31 - 1
# Bigger than any measurement, count or score the app knows, small enough to format exactly.
NUMBER_MAX = 1_000_000_000
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
MAX_JSON_DEPTH = 32
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# What a person types: optional minus, ASCII digits, at most one decimal mark (comma or dot).
# No exponent ("1e2"), no underscores ("1_20"), no other digits ("١٢٠", "１２０").
_NUMBER = re.compile(r"-?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)", re.ASCII)
_ID = re.compile(r"[0-9]{1,10}", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# ISO 8601 as devices send it; ``fromisoformat`` alone also takes any separator ("X").
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}(?::[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?"
    r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?",
    re.ASCII,
)
# The form nearly every file and device sends: parsed without the general checks below.
_COMMON_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?", re.ASCII
)
# Control characters (Unicode category Cc) except tab, line feed and carriage return, which
# text areas send; NUL breaks PostgreSQL, the others are invisible and never typed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

E_NUMBER = N_("Vul een getal in, bijvoorbeeld 7,2.")
E_NUMBER_RANGE = N_("Dit getal is te groot of te klein.")
E_DATE = N_("Vul een geldige datum in.")
E_DATE_RANGE = N_("Vul een datum in tussen %(earliest)s en %(latest)s.")
E_DATE_FUTURE = N_("Deze datum ligt in de toekomst.")
E_DATE_BEFORE_BIRTH = N_("Deze datum ligt voor de geboortedatum van de patiënt.")
E_DATETIME = N_("Het tijdstip %(value)s is geen ISO-datum en -tijd (2024-05-01T08:30:00+02:00).")
E_CONTROL = N_("De tekst bevat onzichtbare tekens (zoals een nul-teken). Haal die weg.")


def parse_id(value: object) -> int | None:
    """An id or version number from a URL, query string, hidden field or JSON: a positive
    integer the database can hold, else None (the caller answers 404 or 400)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= DB_INT_MAX else None
    if not isinstance(value, str) or not _ID.fullmatch(value.strip()):
        return None
    number = int(value.strip())
    return number if number <= DB_INT_MAX else None


def parse_number(
    value: object,
    *,
    field: str | None = None,
    minimum: float = -NUMBER_MAX,
    maximum: float = NUMBER_MAX,
) -> float | None:
    """A number as a person types it ("7,2" or "7.2"); empty is None. A JSON number (int or
    float, not bool) is accepted as is when finite and in range."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError(E_NUMBER, field=field)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not _NUMBER.fullmatch(text):
            raise ValidationError(E_NUMBER, field=field)
        number = float(text.replace(",", "."))
    else:
        raise ValidationError(E_NUMBER, field=field)
    if not math.isfinite(number) or not minimum <= number <= maximum:
        raise ValidationError(E_NUMBER_RANGE, field=field)
    return number


def is_plain_number(value: object) -> bool:
    """A JSON number that formatting and the database can hold (not bool, finite, bounded)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= NUMBER_MAX
    )


def check_date(
    day: date | None,
    *,
    field: str | None = None,
    earliest: date = EARLIEST_DATE,
    latest: date | None = LATEST_DATE,
    born: date | None = None,
    today: date | None = None,
) -> date | None:
    """A date inside the plausible range: not before 1900 (or ``born``), not after
    ``today`` when given (past events), never after 2100."""
    if day is None:
        return None
    if born is not None and day < born:
        raise ValidationError(E_DATE_BEFORE_BIRTH, field=field)
    if today is not None and day > today:
        raise ValidationError(E_DATE_FUTURE, field=field)
    if day < earliest or (latest is not None and day > latest):
        raise ValidationError(
            E_DATE_RANGE,
            field=field,
            earliest=earliest.strftime("%d-%m-%Y"),
            latest=(latest or LATEST_DATE).strftime("%d-%m-%Y"),
        )
    return day


def parse_date(value: object, *, field: str | None = None, **bounds) -> date | None:
    """An ISO date (``2024-05-01``) from a query string or JSON; empty is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise ValidationError(E_DATE, field=field)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(E_DATE, field=field) from None
    return check_date(day, field=field, **bounds)


def parse_datetime(value: object, *, field: str | None = None) -> datetime:
    """An ISO date and time from a device or file, as aware UTC. Without an offset it is Dutch
    local time. Years outside 1900-2100 are refused before any time-zone arithmetic, which
    would overflow at the ends of the calendar."""
    text = value.strip() if isinstance(value, str) else ""
    if _COMMON_DATETIME.fullmatch(text):  # fast path: 2024-05-01T08:30:00[Z|+02:00]
        with contextlib.suppress(ValueError):  # e.g. month 13: refused below with its message
            moment = datetime.fromisoformat(text)
            if 1900 < moment.year < 2100:  # inside the date range, away from its edges
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=AMSTERDAM)
                return moment.astimezone(UTC)
    return _parse_datetime_general(value, text, field)


def _parse_datetime_general(value: object, text: str, field: str | None) -> datetime:
    """``parse_datetime`` of every accepted form, with the reason for a refusal (the fast
    path above gives the same for the common form: tests/test_inputs_fast.py)."""
    try:
        if not _ISO_DATETIME.fullmatch(text):
            raise ValueError
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(E_DATETIME, field=field, value=str(value)[:40]) from None
    check_date(moment.date(), field=field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # pragma: no cover - excluded by the year range above
        raise ValidationError(E_DATETIME, field=field, value=text[:40]) from None


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text))


def check_text(value: str | None, *, field: str | None = None) -> str:
    """Text without control characters (tab and new lines are fine); None is ''."""
    text = value or ""
    if has_control_characters(text):
        raise ValidationError(E_CONTROL, field=field)
    return text


def bad_strings(data: object, depth: int = 0) -> bool:
    """Whether parsed JSON holds a string (key or value) with control characters."""
    if depth > MAX_JSON_DEPTH:
        return True
    if isinstance(data, str):
        return has_control_characters(data)
    if isinstance(data, dict):
        return any(bad_strings(k, depth + 1) or bad_strings(v, depth + 1) for k, v in data.items())
    if isinstance(data, list):
        return any(bad_strings(v, depth + 1) for v in data)
    return False


def json_too_deep(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests deeper than ``max_depth``, found without parsing it (the
    parser itself recurses and would raise RecursionError first)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False


__all__ = [
    "DB_INT_MAX",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "NUMBER_MAX",
    "bad_strings",
    "check_date",
    "check_text",
    "has_control_characters",
    "is_plain_number",
    "json_too_deep",
    "parse_date",
    "parse_datetime",
    "parse_id",
    "parse_number",
]
