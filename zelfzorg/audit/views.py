"""Who accessed my record (patients) and the audit log review and export (admins)."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import audit as write_audit
from zelfzorg.audit import services
from zelfzorg.audit.models import AuditAction
from zelfzorg.boundary import InputRefused
from zelfzorg.csvexport import csv_bytes
from zelfzorg.db import get_session
from zelfzorg.errors import N_, ValidationError
from zelfzorg.inputs import check_text, parse_date, parse_id
from zelfzorg.labels import label
from zelfzorg.web import (
    AMSTERDAM,
    NavItem,
    current_actor,
    download,
    format_moment,
    local,
    roles_required,
)

bp = Blueprint("audit", __name__)

NAV = [
    NavItem("audit.my_access", N_("Wie bekeek mijn gegevens"), (Role.patient,), 90),
    NavItem("audit.admin_log", N_("Auditlog"), (Role.admin,), 20),
]


@bp.get("/mijn/toegang")
@roles_required(Role.patient)
def my_access():
    db = get_session()
    show_own = request.args.get("eigen") == "1"
    before = request.args.get("voor", "").strip()
    before_id = parse_id(before) if before else None
    if before and before_id is None:
        raise InputRefused(N_("Deze pagina bestaat niet."))
    page = services.access_log_for_patient(
        db,
        current_user.patient_id,
        current_user.id,
        show_own=show_own,
        before_id=before_id,
        tz=AMSTERDAM,
    )
    write_audit(
        db,
        current_actor(),
        action=AuditAction.read,
        object_type="AuditLog",
        patient_id=current_user.patient_id,
    )
    return render_template(
        "audit/my_access.html", page=page, show_own=show_own, first_page=before_id is None
    )


def _filters():
    """Filters from the query string; a malformed one is refused with a message (400)."""

    def as_int(name):
        value = request.args.get(name, "").strip()
        if not value:
            return None
        number = parse_id(value)
        if number is None:
            raise InputRefused(N_("Vul een geldig nummer in."))
        return number

    def as_day(name, end=False):
        try:
            day = parse_date(request.args.get(name, ""))
        except ValidationError as error:
            raise InputRefused.from_error(error) from None
        if day is None:
            return None
        return datetime.combine(day, time.max if end else time.min, AMSTERDAM)

    def as_text(name):
        try:
            return check_text(request.args.get(name, ""))[:200].strip()
        except ValidationError as error:
            raise InputRefused.from_error(error) from None

    patient = as_text("patient")
    return {
        "patient_id": as_int("patient_id"),
        "patient_ids": (
            services.patients_named(get_session(), current_actor(), patient) if patient else None
        ),
        "user_id": as_int("user_id"),
        "user": as_text("gebruiker"),
        "since": as_day("since"),
        "until": as_day("until", end=True),
    }


@bp.get("/beheer/audit")
@roles_required(Role.admin)
def admin_log():
    entries = services.search_entries(get_session(), **_filters(), limit=200)
    return render_template("audit/admin_log.html", entries=entries, args=request.args)


@bp.get("/beheer/audit.csv")
@roles_required(Role.admin)
def admin_export():
    db = get_session()
    entries = services.search_entries(db, **_filters(), limit=100_000)
    write_audit(
        db,
        current_actor(),
        action=AuditAction.export,
        object_type="AuditLog",
        detail=f"{len(entries)} entries",
    )
    # The log's own values, for software (the hash covers them), are marked "(code)"; the
    # columns for people are in the reader's words and formats.
    header = [
        "id (code)",
        "time (code)",
        "user_id (code)",
        _("Wie"),
        "role (code)",
        "organisation (code)",
        _("Patiëntnummer"),
        "action (code)",
        "object_type (code)",
        "object_id (code)",
        "outcome (code)",
        _("IP-adres"),
        "detail (code)",
        "hash (code)",
        _("Wanneer"),
        _("Rol"),
        _("Wat"),
        _("Actie"),
        _("Uitkomst"),
    ]
    rows = (
        [
            e.id,
            local(e.at).isoformat(),
            e.user_id,
            _("Patiëntaccount %(id)s", id=e.user_id) if e.role == "patient" else e.user_name,
            e.role,
            e.organisation,
            e.patient_id,
            e.action,
            e.object_type,
            e.object_id,
            e.outcome,
            e.client_address,
            e.detail,
            e.hash,
            format_moment(e.at),
            label("role", e.role),
            label("object_type", e.object_type),
            label("audit_action", e.action),
            label("audit_outcome", e.outcome),
        ]
        for e in entries
    )
    return download(csv_bytes(header, rows), "text/csv; charset=utf-8", "audit.csv")
