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
from zelfzorg.outcomes import likeme, services
from zelfzorg.outcomes.likeme import LikeMe
from zelfzorg.outcomes.services import Dashboard, OutcomeResult
from zelfzorg.telemonitoring.types import COMPARATOR_SYMBOLS, format_number, load_types
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
    share: str | None = None  # coded outcomes: the share of comparable patients doing well

    @property
    def label(self) -> str | None:
        return self.result.label


def _format(result: OutcomeResult, value: float, lang: str) -> tuple[str, str]:
    outcome = result.outcome
    if outcome.source in ("measurement", "trend"):
        mtype = load_types()[outcome.reads]
        return format_number(value, mtype.decimals, lang), mtype.unit_label(lang)
    decimals = builtin_instruments()[outcome.reads].scoring.decimals
    return format_number(value, decimals, lang), _("punten")


def _state(result: OutcomeResult, code: str | None, lang: str) -> str:
    """A coded state in words ("Nooit gerookt")."""
    option = load_types()[result.outcome.reads].option(code or "")
    return option.label.get(lang) if option else "–"


JUDGEMENTS = {"better": N_("beter"), "worse": N_("minder goed"), "same": N_("gelijk gebleven")}


def shown(result: OutcomeResult, lang: str) -> Shown:
    outcome = result.outcome
    value = unit = change = arrow = share = None
    if result.value is not None:
        if outcome.is_coded:
            value, unit = _state(result, result.code, lang), ""
        elif outcome.is_trend:
            amount, mtype_unit = _format(result, result.value, lang)
            value = f"+{amount}" if result.value > 0 and amount.strip("0,.") else amount
            unit = _("%(unit)s in %(days)s dagen", unit=mtype_unit, days=outcome.days)
        else:
            value, unit = _format(result, result.value, lang)
    if result.change is not None:
        judgement = _(JUDGEMENTS[result.change.judgement])
        if outcome.is_coded:
            previous = _state(result, result.change.previous_code, lang)
            change = _("%(judgement)s (was: %(previous)s)", judgement=judgement, previous=previous)
            arrow = "→"
        else:
            amount, _unit = _format(result, abs(result.change.difference), lang)
            previous, _unit = _format(result, result.change.previous, lang)
            change = _(
                "%(amount)s %(judgement)s (was %(previous)s)",
                amount=amount,
                judgement=judgement,
                previous=previous,
            )
            arrow = ARROWS[result.change.direction]
    if result.share_good is not None and outcome.good_label is not None:
        share = _(
            "Ongeveer %(share)s van elke 100 vergelijkbare patiënten %(good)s.",
            share=result.share_good,
            good=outcome.good_label.get(lang),
        )
    return Shown(
        result=result,
        name=outcome.name.get(lang),
        value=value,
        unit=unit or "",
        change=change,
        arrow=arrow,
        icon=ICONS.get(result.label or ""),
        share=share,
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


@dataclass(frozen=True)
class ShownLikeMe:
    """One goal of "patients like me" as the templates show it."""

    goal_id: int
    title: str
    target: str  # "Bovendruk < 140 mmHg"
    programme: str  # the outcome set's title: whose comparable patients
    text: str  # the share in words, or why nothing is said


def shown_like_me(item: LikeMe, lang: str, *, patient: bool) -> ShownLikeMe:
    goal = item.goal
    mtype = load_types().get(goal.target_type or "")
    name = mtype.label(lang) if mtype else (goal.target_type or "")
    value = mtype.format_value(goal.target_value, lang) if mtype else str(goal.target_value)
    symbol = COMPARATOR_SYMBOLS.get(goal.target_comparator or "", goal.target_comparator or "")
    minimum = item.outcome_set.rule.minimum_group
    if item.share is None:
        text = _(item.reason or likeme.TOO_FEW_GOALS, minimum=minimum)
    elif patient:
        text = _(
            "Van elke 100 vergelijkbare patiënten met een vergelijkbaar doel bereikten er "
            "ongeveer %(share)s hun doel binnen een jaar.",
            share=item.share,
        )
    else:
        text = _(
            "Ongeveer %(share)s van elke 100 vergelijkbare patiënten (minstens %(minimum)s) met "
            "een vergelijkbaar doel bereikten het binnen een jaar.",
            share=item.share,
            minimum=minimum,
        )
    return ShownLikeMe(
        goal_id=int(goal.id or 0),
        title=goal.title,
        target=f"{name} {symbol} {value}",
        programme=item.outcome_set.title.get(lang),
        text=text,
    )


def _context(board: Dashboard, *, patient: bool) -> dict:
    lang = _lang()
    return {
        "board": board,
        "lang": lang,
        "blocks": [(block, [shown(r, lang) for r in block.results]) for block in board.programmes],
        "like_me": [shown_like_me(item, lang, patient=patient) for item in board.like_me],
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
