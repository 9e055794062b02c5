from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import audit
from zelfzorg.audit.models import AuditAction
from zelfzorg.db import get_session
from zelfzorg.errors import N_
from zelfzorg.web import NavItem, current_actor, roles_required, today
from zelfzorg.worklist import KIND_LABELS, collect

bp = Blueprint("worklist", __name__)
NAV = [NavItem("worklist.index", N_("Werklijst"), (Role.professional,), 10)]


@bp.get("/werklijst")
@roles_required(Role.professional)
def index():
    db = get_session()
    kinds = {k for k in request.args.getlist("kind") if k in KIND_LABELS}
    items = collect(db, current_user.practice_id, today(), kinds or None)
    audit(
        db,
        current_actor(),
        action=AuditAction.search,
        object_type="Worklist",
        detail=f"{len(items)} items",
    )
    return render_template("worklist/index.html", items=items, kinds=kinds, kind_labels=KIND_LABELS)
