"""Downloads of contracting reports (PDF, CSV, HTML, FHIR) and scheduled exports.

A blueprint of its own so the report pages (``contracting.views``) only link here, e.g.
``url_for("contracting_exports.export", care_group_id=..., fmt="pdf", van=..., tot=...)``.
Caregroup users only: insurer exports are suppressed aggregates; every download is audited.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms import SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from zelfzorg.accounts.models import Role
from zelfzorg.contracting import schedule
from zelfzorg.contracting.exports import audit_export, export_report
from zelfzorg.db import get_session
from zelfzorg.errors import N_, ValidationError
from zelfzorg.formfields import Form
from zelfzorg.lazytext import lazy_gettext as _l
from zelfzorg.web import (
    NavItem,
    current_actor,
    error_text,
    form_errors,
    language,
    roles_required,
    today,
)
from zelfzorg.web import (
    download as file_download,
)

bp = Blueprint("contracting_exports", __name__)
CAREGROUP = (Role.caregroup,)
NAV = [NavItem("contracting_exports.schedules", N_("Exports"), CAREGROUP, 30)]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ScheduleForm(Form):
    frequency = SelectField(
        _l("Hoe vaak"), choices=[("monthly", _l("Elke maand")), ("quarterly", _l("Elk kwartaal"))]
    )
    formats = MultiCheckboxField(
        _l("Bestanden"),
        choices=[
            ("pdf", "PDF"),
            ("csv", "CSV"),
            ("fhir", "FHIR MeasureReport (JSON)"),
            ("html", "HTML"),
        ],
    )
    lang = SelectField(_l("Taal"), choices=[("nl", "Nederlands"), ("en", "English")])
    delimiter = SelectField(
        _l("Scheidingsteken CSV"),
        choices=[(";", _l("puntkomma (Nederlandse Excel)")), (",", _l("komma"))],
    )


def _day(name: str) -> date:
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            N_("Geef de periode op als jjjj-mm-dd (van en tot en met)."), field=name
        ) from None


def _refused(error: ValidationError):
    return render_template("contracting/export_refused.html", message=error_text(error)), 400


@bp.get("/zorggroep/rapport/<int:care_group_id>/export.<any(pdf, csv, html, fhir):fmt>")
@roles_required(*CAREGROUP)
def export(care_group_id: int, fmt: str):
    from zelfzorg.contracting.services import build_report

    session = get_session()
    actor = current_actor()
    lang = request.args.get("taal") or language()
    delimiter = ";" if request.args.get("scheiding", ";") == ";" else ","
    try:
        start, end = _day("van"), _day("tot")
        data = build_report(session, actor, care_group_id=care_group_id, start=start, end=end)
    except ValidationError as error:
        return _refused(error)
    result = export_report(data, fmt, lang=lang, delimiter=delimiter)
    audit_export(session, actor.audit_subject, data, fmt)
    # Always a download: the HTML file carries its own styles, which the app's CSP would block.
    return file_download(result.content, result.mimetype, result.filename)


@bp.route("/zorggroep/exports", methods=["GET", "POST"])
@roles_required(*CAREGROUP)
def schedules():
    session = get_session()
    actor = current_actor()
    form = ScheduleForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            data = schedule.ScheduleInput(
                frequency=form.frequency.data,
                formats=list(form.formats.data or []),
                lang=form.lang.data,
                delimiter=form.delimiter.data,
            )
            try:
                schedule.create_schedule(session, actor, data, today=today())
            except ValidationError as error:
                form_errors(form, error)
                status = 400
            else:
                flash(_l("De export is ingepland."), "success")
                return redirect(url_for(".schedules"))
        else:
            status = 400
    active, files = schedule.schedules_of(session, actor)
    return render_template(
        "contracting/exports.html", form=form, schedules=active, files=files
    ), status


@bp.post("/zorggroep/exports/<int:schedule_id>/stoppen")
@roles_required(*CAREGROUP)
def stop_schedule(schedule_id: int):
    schedule.delete_schedule(get_session(), current_actor(), schedule_id)
    flash(_l("De geplande export is gestopt. Gemaakte bestanden blijven beschikbaar."), "success")
    return redirect(url_for(".schedules"))


@bp.get("/zorggroep/exports/bestand/<int:file_id>")
@roles_required(*CAREGROUP)
def download(file_id: int):
    stored = schedule.file_for(get_session(), current_actor(), file_id)
    return file_download(stored.content, stored.mimetype, stored.filename)
