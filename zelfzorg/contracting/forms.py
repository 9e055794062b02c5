"""Form helpers for the contracting pages: CSRF, dates and the report period."""

from __future__ import annotations

from datetime import date

from zelfzorg.errors import N_, ValidationError
from zelfzorg.formfields import Form
from zelfzorg.inputs import check_date
from zelfzorg.inputs import parse_date as inputs_parse_date


class ActionForm(Form):
    """CSRF protection for the hand-written forms of these pages."""


def parse_date(raw: str | None, field: str, *, required: bool = True) -> date | None:
    """An ISO date (yyyy-mm-dd, what <input type=date> sends) or dd-mm-yyyy, in ASCII digits
    and inside the input boundary's range (zelfzorg.inputs)."""
    text = (raw or "").strip()
    if not text:
        if required:
            raise ValidationError(N_("Vul een geldige datum in (dd-mm-jjjj)."), field=field)
        return None
    if len(text) == 10 and text[2] == "-" and text[5] == "-":
        text = f"{text[6:]}-{text[3:5]}-{text[:2]}"
    try:
        return check_date(inputs_parse_date(text, field=field), field=field)
    except ValidationError:
        raise ValidationError(N_("Vul een geldige datum in (dd-mm-jjjj)."), field=field) from None


def period_from(args, today: date) -> tuple[date, date]:
    """The report period from the query string (``van``, ``tot``); default: this calendar
    year up to today."""
    start = parse_date(args.get("van"), "van", required=False) or date(today.year, 1, 1)
    end = parse_date(args.get("tot"), "tot", required=False) or today
    return start, end
