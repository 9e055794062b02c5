"""Outcome dashboard pages: the patient's own page, the professional's page per patient, the
compact block in the goal review screen and the section of the plan PDF (both includes)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from zelfzorg.accounts.models import Role
from zelfzorg.assessment.instruments import builtin_instruments
from zelfzorg.db import get_session
from zelfzorg.errors import N_
from zelfzorg.outcomes import services
from zelfzorg.outcomes.services import Dashboard, OutcomeResult
from zelfzorg.telemonitoring.types import format_number, load_types
from zelfzorg.web import NavItem, current_actor, roles_required, today

bp = Blueprint("outcomes", __name__)
NAV = [NavItem("outcomes.mine", N_("Vergelijken"), (Role.patient,), 35)]
ICONS = {services.BETTER: "▲", services.AS: "●", services.WORSE: "▼"}
ARROWS = {"up": "↑", "down": "↓", "same": "="}


def _lang() -> str:
    return str(get_locale() or "nl")


@dataclass(frozen=True)
class Shown:
    """One outcome as the templates show it: texts formatted for the user's language."""

    result: OutcomeResult
    name: str
    value: str | None
    unit: str
    change: str | None  # "↓ 6 (beter)" without the arrow: the arrow is ``arrow``
    arrow: str | None
    icon: str | None

    @property
    def label(self) -> str | None:
        return self.result.label


def _format(result: OutcomeResult, value: float, lang: str) -> tuple[str, str]:
    outcome = result.outcome
    if outcome.source == "measurement":
        mtype = load_types()[outcome.reads]
        return format_number(value, mtype.decimals, lang), mtype.unit_label(lang)
    decimals = builtin_instruments()[outcome.reads].scoring.decimals
    return format_number(value, decimals, lang), _("punten")


def shown(result: OutcomeResult, lang: str) -> Shown:
    value = unit = change = arrow = None
    if result.value is not None:
        value, unit = _format(result, result.value, lang)
    if result.change is not None:
        amount, _unit = _format(result, abs(result.change.difference), lang)
        judgement = {
            "better": _("beter"),
            "worse": _("minder goed"),
            "same": _("gelijk gebleven"),
        }[result.change.judgement]
        previous, _unit = _format(result, result.change.previous, lang)
        change = _(
            "%(amount)s %(judgement)s (was %(previous)s)",
            amount=amount,
            judgement=judgement,
            previous=previous,
        )
        arrow = ARROWS[result.change.direction]
    return Shown(
        result=result,
        name=result.outcome.name.get(lang),
        value=value,
        unit=unit or "",
        change=change,
        arrow=arrow,
        icon=ICONS.get(result.label or ""),
    )


def label_text(label: str | None, *, patient: bool) -> str:
    if patient:
        texts = {
            services.BETTER: _("Beter dan de meeste vergelijkbare patiënten"),
            services.AS: _("Ongeveer zoals de meeste vergelijkbare patiënten"),
            services.WORSE: _("Minder goed dan de meeste vergelijkbare patiënten"),
        }
    else:
        texts = {
            services.BETTER: _("Beter dan de mediaan"),
            services.AS: _("Zoals de mediaan"),
            services.WORSE: _("Slechter dan de mediaan"),
        }
    return texts.get(label or "", "")


def _context(board: Dashboard, *, patient: bool) -> dict:
    lang = _lang()
    return {
        "board": board,
        "lang": lang,
        "blocks": [(block, [shown(r, lang) for r in block.results]) for block in board.programmes],
        "label_text": lambda label: label_text(label, patient=patient),
        "for_patient": patient,
    }


def _dashboard_for(patient_id: int) -> dict:
    """For the includes (review screen, plan PDF): the same view model as the pages."""
    board = services.dashboard(get_session(), current_actor(), patient_id=patient_id, today=today())
    return _context(board, patient=current_user.role == Role.patient)


@bp.app_context_processor
def _includes() -> dict:
    return {"outcome_dashboard": _dashboard_for}


@bp.get("/mijn/vergelijken")
@roles_required(Role.patient)
def mine():
    board = services.dashboard(
        get_session(), current_actor(), patient_id=current_user.patient_id, today=today()
    )
    return render_template("outcomes/page.html", **_context(board, patient=True))


@bp.get("/patienten/<int:patient_id>/uitkomsten")
@roles_required(Role.professional)
def patient_outcomes(patient_id: int):
    board = services.dashboard(get_session(), current_actor(), patient_id=patient_id, today=today())
    return render_template("outcomes/page.html", **_context(board, patient=False))
