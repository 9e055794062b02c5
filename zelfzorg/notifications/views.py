from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import audit_shown
from zelfzorg.audit.models import AuditAction
from zelfzorg.db import get_session
from zelfzorg.errors import N_
from zelfzorg.notifications import services
from zelfzorg.web import NavItem, current_actor, roles_required

bp = Blueprint("notifications", __name__)
ALL_ROLES = (Role.patient, Role.professional, Role.caregroup, Role.admin)
NAV = [NavItem("notifications.index", N_("Meldingen"), ALL_ROLES, 80)]


def link_href(link: str | None) -> str | None:
    """The URL of a stored link: a plain path, or ``endpoint:...`` built here (None when the
    endpoint no longer exists, rather than a broken link)."""
    if not link or not link.startswith(services.ENDPOINT_LINK):
        return link
    endpoint, _, query = link.removeprefix(services.ENDPOINT_LINK).partition("?")
    try:
        return url_for(endpoint, **dict(parse_qsl(query)))
    except BuildError:
        return None


@bp.get("/meldingen")
@roles_required(*ALL_ROLES)
def index():
    db = get_session()
    notes = services.list_for_user(db, current_user.id)
    # Staff notifications name patients (an alert for ...): showing them is a read.
    shown = [
        n.patient_id for n in notes if n.patient_id and n.patient_id != current_user.patient_id
    ]
    if shown:
        audit_shown(db, current_actor(), shown, object_type="Notification", action=AuditAction.read)
    return render_template("notifications/index.html", notes=notes, href=link_href)


@bp.post("/meldingen/gelezen")
@roles_required(*ALL_ROLES)
def mark_read():
    services.mark_read(get_session(), current_user.id)
    return redirect(url_for("notifications.index"))
