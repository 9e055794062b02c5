from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from zelfzorg.accounts.models import Role
from zelfzorg.db import get_session
from zelfzorg.errors import N_
from zelfzorg.notifications import services
from zelfzorg.web import NavItem, roles_required

bp = Blueprint("notifications", __name__)
ALL_ROLES = (Role.patient, Role.professional, Role.caregroup, Role.admin)
NAV = [NavItem("notifications.index", N_("Meldingen"), ALL_ROLES, 80)]


@bp.get("/meldingen")
@roles_required(*ALL_ROLES)
def index():
    notes = services.list_for_user(get_session(), current_user.id)
    return render_template("notifications/index.html", notes=notes)


@bp.post("/meldingen/gelezen")
@roles_required(*ALL_ROLES)
def mark_read():
    services.mark_read(get_session(), current_user.id)
    return redirect(url_for("notifications.index"))
