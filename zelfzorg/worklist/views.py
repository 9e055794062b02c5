from __future__ import annotations

from collections import Counter

from flask import Blueprint, render_template, request

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import audit, audit_shown
from zelfzorg.audit.models import AuditAction
from zelfzorg.db import get_session
from zelfzorg.errors import N_
from zelfzorg.web import NavItem, current_actor, practice_filter, roles_required, today
from zelfzorg.worklist import KIND_LABELS, RANKS, collect

bp = Blueprint("worklist", __name__)
NAV = [NavItem("worklist.index", N_("Werklijst"), (Role.professional,), 10)]
PAGE_SIZE = 50


@bp.get("/werklijst")
@roles_required(Role.professional)
def index():
    db = get_session()
    kinds = {k for k in request.args.getlist("kind") if k in KIND_LABELS}
    practices = practice_filter()
    everything = collect(db, practices.practice_ids, today())
    counts = Counter(item.kind for item in everything)
    items = [i for i in everything if i.kind in kinds] if kinds else everything
    # Ranked, so the first pages hold the most urgent work; rendering thousands of lines
    # would only slow the page down.
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int)), pages)
    shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    audit(
        db,
        current_actor(),
        action=AuditAction.search,
        object_type="Worklist",
        detail=f"{len(items)} items, page {page}, practice {practices.selected or 'all'}",
    )
    audit_shown(db, current_actor(), [i.patient_id for i in shown], object_type="Worklist")
    return render_template(
        "worklist/index.html",
        items=shown,
        total=len(items),
        page=page,
        pages=pages,
        kinds=kinds,
        # The filter in the same order as the lines: most urgent kind first.
        kind_labels=dict(sorted(KIND_LABELS.items(), key=lambda kv: RANKS.get(kv[0], 999))),
        counts=counts,
        page_size=PAGE_SIZE,
        practices=practices,
    )
