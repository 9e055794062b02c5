from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import audit, audit_shown
from zelfzorg.audit.models import AuditAction
from zelfzorg.db import get_session
from zelfzorg.errors import N_
from zelfzorg.telemonitoring.services import latest_relevant_values
from zelfzorg.telemonitoring.types import load_types
from zelfzorg.web import NavItem, current_actor, practice_filter, roles_required, today
from zelfzorg.worklist import KIND_LABELS, RANKS, worklist_page

bp = Blueprint("worklist", __name__)
NAV = [NavItem("worklist.index", N_("Werklijst"), (Role.professional,), 10)]
PAGE_SIZE = 50


@bp.get("/werklijst")
@roles_required(Role.professional)
def index():
    db = get_session()
    kinds = {k for k in request.args.getlist("kind") if k in KIND_LABELS}
    practices = practice_filter()
    result = worklist_page(
        db,
        practices.practice_ids,
        today(),
        kinds=kinds,
        page=request.args.get("page", 1, type=int),
        page_size=PAGE_SIZE,
        latest_values=latest_relevant_values,
    )
    audit(
        db,
        current_actor(),
        action=AuditAction.search,
        object_type="Worklist",
        detail=f"{result.total} patients, page {result.page}, "
        f"practice {practices.selected or 'all'}",
    )
    # Only the patients on the page were read (names, reasons, latest value).
    audit_shown(db, current_actor(), [r.patient_id for r in result.rows], object_type="Worklist")
    lang = str(get_locale() or "nl")
    types = load_types()

    def value_text(measurement) -> str:
        mtype = types.get(measurement.type_code)
        if mtype is None:
            return ""
        return f"{mtype.name.get(lang)}: {mtype.format_value(measurement.value, lang)}"

    return render_template(
        "worklist/index.html",
        rows=result.rows,
        total=result.total,
        page=result.page,
        pages=result.pages,
        kinds=kinds,
        # The filter in the same order as the lines: most urgent kind first.
        kind_labels=dict(sorted(KIND_LABELS.items(), key=lambda kv: RANKS.get(kv[0], 999))),
        counts=result.counts,
        page_size=PAGE_SIZE,
        practices=practices,
        value_text=value_text,
    )
