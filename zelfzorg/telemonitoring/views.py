"""Measurements for patients and professionals, charts, targets, alerts, device tokens and
the device API (``POST /api/metingen``, bearer token, no cookies, so no CSRF)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from zelfzorg import csrf
from zelfzorg.accounts.models import Role
from zelfzorg.accounts.tokens import TokenRefused, TooManyAttempts
from zelfzorg.db import get_session
from zelfzorg.errors import N_, Conflict, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.telemonitoring import alerts as alert_services
from zelfzorg.telemonitoring import services, targets
from zelfzorg.telemonitoring.alerts import params_from_json
from zelfzorg.telemonitoring.chartdata import AMSTERDAM, chart_svg, series
from zelfzorg.telemonitoring.forms import (
    PERIOD_LABELS,
    PERIODS,
    AcknowledgeForm,
    CorrectionForm,
    DeviceTokenForm,
    EmptyForm,
    EndTargetForm,
    EntryForm,
    TargetForm,
)
from zelfzorg.telemonitoring.importer import import_readings
from zelfzorg.telemonitoring.models import MeasurementSource
from zelfzorg.telemonitoring.types import get_type, load_catalog, load_types
from zelfzorg.web import (
    NavItem,
    current_actor,
    error_text,
    form_errors,
    language,
    roles_required,
    translate,
)

bp = Blueprint("telemonitoring", __name__)
NAV = [NavItem("telemonitoring.my_overview", N_("Mijn metingen"), (Role.patient,), 20)]
TOKEN_FLASH = "device_token_shown"


def lang() -> str:
    return language()


def _local_now() -> datetime:
    return datetime.now(AMSTERDAM).replace(second=0, microsecond=0)


def _measured_at(form) -> datetime | None:
    if form.date.data is None or form.time.data is None:
        return None
    return datetime.combine(form.date.data, form.time.data, tzinfo=AMSTERDAM).astimezone(UTC)


def _context():
    return {
        "types": load_types(),
        "panels": load_catalog().panels,
        "lang": lang(),
        "params_from_json": params_from_json,
    }


# --- overview ----------------------------------------------------------------------------------


def _overview_page(patient_id: int, *, target_form=None, token_form=None, status=200):
    db = get_session()
    actor = current_actor()
    data = services.overview(db, actor, patient_id)
    target_form = target_form or TargetForm()
    target_form.type_code.choices = [
        (t.code, t.label(lang())) for t in load_types().values() if t.is_quantity
    ]
    return render_template(
        "telemonitoring/overview.html",
        data=data,
        is_pro=actor.is_professional,
        target_form=target_form,
        end_form=EndTargetForm(),
        token_form=token_form or DeviceTokenForm(),
        empty_form=EmptyForm(),
        shown_token=session.pop(TOKEN_FLASH, None) if actor.is_professional else None,
        **_context(),
    ), status


@bp.get("/mijn/metingen")
@roles_required(Role.patient)
def my_overview():
    return _overview_page(current_user.patient_id)


@bp.get("/patienten/<int:patient_id>/metingen")
@roles_required(Role.professional)
def patient_overview(patient_id: int):
    return _overview_page(patient_id)


# --- entry -------------------------------------------------------------------------------------


def _entry(patient_id: int, done_url: str):
    db = get_session()
    actor = current_actor()
    form = EntryForm()
    errors: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    confirm = ""
    status = 200
    if request.method == "GET":
        now = _local_now()
        form.date.data, form.time.data = now.date(), now.time()
    elif form.validate_on_submit():
        fields = [*services.BP_FIELDS, *(t.code for t in services.entry_types())]
        data = services.ReadingsInput(
            values={f: request.form.get(f, "") for f in fields},
            measured_at=_measured_at(form),
            note=form.note.data or "",
        )
        confirmed = request.form.get("confirm") == services.confirm_token(data)
        try:
            services.record_readings(db, actor, patient_id, data, now=utcnow(), confirmed=confirmed)
        except services.NeedsConfirmation as question:
            for problem in question.problems:
                warnings.setdefault(problem.field, []).append(
                    translate(problem.message, dict(problem.params))
                )
            confirm = question.token
        except services.PlausibilityError as error:
            for problem in error.problems:
                errors.setdefault(problem.field, []).append(
                    translate(problem.message, dict(problem.params))
                )
            status = 400
        except ValidationError as error:
            if error.field:
                errors.setdefault(error.field, []).append(error_text(error))
            else:
                flash(error_text(error), "error")
            status = 400
        else:
            flash(_("Uw meting is opgeslagen."), "success")
            return redirect(done_url)
    else:
        status = 400
    # The date field's own errors show as such; the service reports its time errors as "date".
    patient = services.get_patient_for(db, actor, patient_id, object_type="Measurement")
    return render_template(
        "telemonitoring/entry.html",
        form=form,
        errors=errors,
        warnings=warnings,
        confirm=confirm,
        values=request.form,
        patient=patient,
        is_pro=actor.is_professional,
        entry_types=services.entry_types(),
        **_context(),
    ), status


@bp.route("/mijn/metingen/nieuw", methods=["GET", "POST"])
@roles_required(Role.patient)
def my_entry():
    return _entry(current_user.patient_id, url_for("telemonitoring.my_overview"))


@bp.route("/patienten/<int:patient_id>/metingen/nieuw", methods=["GET", "POST"])
@roles_required(Role.professional)
def patient_entry(patient_id: int):
    return _entry(patient_id, url_for("telemonitoring.patient_overview", patient_id=patient_id))


# --- corrections -------------------------------------------------------------------------------


@bp.route("/metingen/<int:measurement_id>/corrigeren", methods=["GET", "POST"])
@roles_required(Role.patient, Role.professional)
def correct(measurement_id: int):
    db = get_session()
    actor = current_actor()
    row = services.load_measurement(db, actor, measurement_id)
    form = CorrectionForm()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "GET":
        local = row.measured_at.astimezone(AMSTERDAM)
        form.date.data, form.time.data = local.date(), local.time().replace(second=0)
        mtype = get_type(row.type_code)
        form.value.data = (
            mtype.format_value(row.value, lang(), unit=False)
            if row.value is not None
            else row.value_code
        )
    elif form.validate_on_submit():
        try:
            services.correct_measurement(
                db,
                actor,
                measurement_id,
                value=form.value.data,
                measured_at=_measured_at(form),
                note=form.note.data or "",
                now=utcnow(),
            )
        except services.PlausibilityError as error:
            for problem in error.problems:
                errors.setdefault(problem.field, []).append(
                    translate(problem.message, dict(problem.params))
                )
            status = 400
        except (ValidationError, Conflict) as error:
            if error.field:
                errors.setdefault(error.field, []).append(error_text(error))
            else:
                flash(error_text(error), "error")
            status = 409 if isinstance(error, Conflict) else 400
        else:
            flash(_("De correctie is opgeslagen. De oude waarde blijft bewaard."), "success")
            if actor.is_patient:
                return redirect(url_for("telemonitoring.my_overview"))
            return redirect(url_for("telemonitoring.patient_overview", patient_id=row.patient_id))
    else:
        status = 400
    return render_template(
        "telemonitoring/correct.html",
        form=form,
        errors=errors,
        row=row,
        mtype=get_type(row.type_code),
        is_pro=actor.is_professional,
        **_context(),
    ), status


# --- charts ------------------------------------------------------------------------------------


def _chart(patient_id: int, type_code: str):
    db = get_session()
    mtype = get_type(type_code)
    if not mtype.is_quantity:
        from zelfzorg.errors import NotFound

        raise NotFound(N_("Onbekend meettype: %(code)s."), code=type_code)
    patient = services.get_patient_for(
        db, current_actor(), patient_id, object_type="MeasurementChart", object_id=type_code
    )
    period = request.args.get("periode", "jaar")
    if period not in PERIODS:
        period = "jaar"
    end = utcnow()
    start = end - timedelta(days=PERIODS[period])
    bucket, points = series(db, patient.id, type_code, start, end)
    svg = chart_svg(db, patient.id, type_code, start, end, lang(), points=(bucket, points))
    svg_compact = chart_svg(
        db, patient.id, type_code, start, end, lang(), points=(bucket, points), compact=True
    )
    # Without points in this period: is there older data (then: choose a longer period)?
    latest = None if points else services.latest_values(db, patient.id, [type_code]).get(type_code)
    return render_template(
        "telemonitoring/chart.html",
        patient=patient,
        mtype=mtype,
        svg=svg,
        svg_compact=svg_compact,
        bucket=bucket,
        points=list(reversed(points)),
        target=targets.effective_target(db, patient.id, type_code),
        latest=latest,
        period=period,
        period_labels=PERIOD_LABELS,
        is_pro=current_actor().is_professional,
        **_context(),
    )


@bp.get("/mijn/metingen/grafiek/<type_code>")
@roles_required(Role.patient)
def my_chart(type_code: str):
    return _chart(current_user.patient_id, type_code)


@bp.get("/patienten/<int:patient_id>/metingen/grafiek/<type_code>")
@roles_required(Role.professional)
def patient_chart(patient_id: int, type_code: str):
    return _chart(patient_id, type_code)


# --- targets and device tokens -----------------------------------------------------------------


@bp.post("/patienten/<int:patient_id>/streefwaarden")
@roles_required(Role.professional)
def set_target(patient_id: int):
    form = TargetForm()
    form.type_code.choices = [(t.code, t.code) for t in load_types().values() if t.is_quantity]
    if form.validate_on_submit():
        try:
            low = services.parse_number(form.low.data, "low")
            high = services.parse_number(form.high.data, "high")
            targets.set_personal_target(
                get_session(),
                current_actor(),
                patient_id,
                type_code=form.type_code.data,
                comparator=form.comparator.data,
                low=low,
                high=high,
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Het persoonlijke streefdoel is opgeslagen."), "success")
            return redirect(url_for("telemonitoring.patient_overview", patient_id=patient_id))
    return _overview_page(patient_id, target_form=form, status=400)


@bp.post("/patienten/<int:patient_id>/streefwaarden/beeindigen")
@roles_required(Role.professional)
def end_target(patient_id: int):
    form = EndTargetForm()
    if form.validate_on_submit():
        targets.end_personal_target(
            get_session(), current_actor(), patient_id, type_code=form.type_code.data
        )
        flash(_("Het standaard streefdoel geldt weer."), "success")
        return redirect(url_for("telemonitoring.patient_overview", patient_id=patient_id))
    return _overview_page(patient_id, status=400)


@bp.post("/patienten/<int:patient_id>/apparaten")
@roles_required(Role.professional)
def create_token(patient_id: int):
    form = DeviceTokenForm()
    if form.validate_on_submit():
        try:
            token, _row = services.create_device_token(
                get_session(), current_actor(), patient_id, label=form.label.data
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            session[TOKEN_FLASH] = token  # shown once on the next page; only the hash is kept
            return redirect(url_for("telemonitoring.patient_overview", patient_id=patient_id))
    return _overview_page(patient_id, token_form=form, status=400)


@bp.post("/patienten/<int:patient_id>/apparaten/<int:token_id>/intrekken")
@roles_required(Role.professional)
def revoke_token(patient_id: int, token_id: int):
    if EmptyForm().validate_on_submit():
        services.revoke_device_token(get_session(), current_actor(), patient_id, token_id)
        flash(_("Het apparaat kan geen metingen meer sturen."), "success")
        return redirect(url_for("telemonitoring.patient_overview", patient_id=patient_id))
    return _overview_page(patient_id, status=400)


# --- alerts ------------------------------------------------------------------------------------


def _alert_page(alert_id: int, form=None, status=200):
    db = get_session()
    alert = alert_services.load_alert(db, current_actor(), alert_id)
    from zelfzorg.accounts.models import User
    from zelfzorg.patients.models import Patient

    patient = db.get(Patient, alert.patient_id)
    by = db.get(User, alert.acknowledged_by_id) if alert.acknowledged_by_id else None
    return render_template(
        "telemonitoring/alert.html",
        alert=alert,
        patient=patient,
        acknowledged_by=by,
        target=targets.effective_target(db, alert.patient_id, alert.type_code),
        form=form or AcknowledgeForm(),
        **_context(),
    ), status


@bp.get("/signalen/<int:alert_id>")
@roles_required(Role.professional)
def alert_detail(alert_id: int):
    return _alert_page(alert_id)


@bp.post("/signalen/<int:alert_id>/afhandelen")
@roles_required(Role.professional)
def acknowledge(alert_id: int):
    form = AcknowledgeForm()
    status = 400
    if form.validate_on_submit():
        try:
            alert_services.acknowledge(
                get_session(), current_actor(), alert_id, note=form.note.data
            )
        except (ValidationError, Conflict) as error:
            form_errors(form, error)
            status = 409 if isinstance(error, Conflict) else 400
        else:
            flash(_("Het signaal is afgehandeld."), "success")
            return redirect(url_for("worklist.index"))
    return _alert_page(alert_id, form, status)


# --- device API --------------------------------------------------------------------------------

MAX_API_READINGS = 5000
DEVICE_THROTTLE_LIMIT = services.DEVICE_TOKENS.throttle_limit


@bp.post("/api/metingen")
def api_measurements():
    """Readings from a patient's device: ``{"readings": [...], "partial": false}``.

    The token is checked, audited and throttled by ``services.authenticate_device``: 401 for
    a refused token (the denial is committed), 429 for an address that is guessing."""
    db = get_session()
    try:
        caller, subject = services.authenticate_device(
            db,
            request.headers.get("Authorization"),
            client_address=request.remote_addr or "",
            now=utcnow(),
        )
    except TooManyAttempts as error:
        return jsonify(error="too_many_attempts"), 429, {"Retry-After": str(error.retry_after)}
    except TokenRefused as error:
        return (
            jsonify(error=translate(error.message)),
            401,
            {"WWW-Authenticate": 'Bearer realm="zelfzorg"'},
        )
    patient = caller.patient
    payload = request.get_json(silent=True)
    readings = payload.get("readings") if isinstance(payload, dict) else None
    if not isinstance(readings, list) or not readings or len(readings) > MAX_API_READINGS:
        return jsonify(
            error=_(
                "Stuur JSON met een lijst readings (1 tot %(max)s metingen).", max=MAX_API_READINGS
            )
        ), 400
    result = import_readings(
        db,
        [(i, r if isinstance(r, dict) else {}) for i, r in enumerate(readings, start=1)],
        subject=subject,
        source=MeasurementSource.device,
        partial=payload.get("partial") is True,
        now=utcnow(),
        patient=patient,
    )
    if not result.refused:  # a refused batch changes nothing, not even the token's use
        services.mark_device_used(db, caller, now=utcnow())
    body = {
        "stored": result.stored,
        "duplicates": result.duplicates,
        "errors": [
            {"line": e.line, "reason": translate(e.message, dict(e.params))} for e in result.errors
        ],
    }
    if result.refused:
        body["error"] = _("Niets opgeslagen: een of meer metingen zijn afgekeurd.")
        return jsonify(body), 400
    return jsonify(body), 201 if result.stored else 200


csrf.exempt(api_measurements)
