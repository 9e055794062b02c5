"""Measurements: entry by patients and professionals, corrections as new versions, the
overview of a patient's readings with targets and alerts, and device tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg import inputs
from zelfzorg.accounts.scope import Actor, get_patient_for, load_child_for, load_for
from zelfzorg.accounts.tokens import (
    MAX_TOKEN_LENGTH,
    TokenKind,
    TokenMatch,
    TokenRefusal,
    authenticate,
)
from zelfzorg.audit.models import AuditAction
from zelfzorg.audit.services import AuditSubject
from zelfzorg.contracting.history import record_activity
from zelfzorg.errors import N_, Conflict, Forbidden, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Patient
from zelfzorg.telemonitoring.alerts import alerts_for_patient, evaluate_rows
from zelfzorg.telemonitoring.models import (
    Alert,
    DeviceToken,
    Measurement,
    MeasurementSource,
)
from zelfzorg.telemonitoring.plausibility import (
    PreviousReading,
    Problem,
    ReadingContext,
    check_bp,
    check_reading,
    check_time,
    check_value,
    derive_value,
)
from zelfzorg.telemonitoring.rules import Target
from zelfzorg.telemonitoring.targets import effective_targets
from zelfzorg.telemonitoring.types import MeasurementType, get_type, load_catalog, load_types

BP_FIELDS = ("systolic", "diastolic")
BP_TYPES = {"systolic": "bp_systolic", "diastolic": "bp_diastolic"}
NOTE_MAX = 500


class NeedsConfirmation(ValidationError):
    """Nothing is impossible, but some values look unlikely (a big jump, a very old date):
    nothing is stored until the person confirms these same values ("Klopt dit?")."""

    def __init__(self, problems: list[Problem], token: str) -> None:
        first = problems[0]
        super().__init__(first.message, field=first.field, **dict(first.params))
        self.problems = problems
        self.token = token


class PlausibilityError(ValidationError):
    """One or more values were refused; ``problems`` holds every error (one per field)."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(first.message, field=first.field, **dict(first.params))
        self.problems = problems


def entry_types() -> list[MeasurementType]:
    """Types typed in one by one (BP is entered as a pair; BMI is derived)."""
    return [t for t in load_types().values() if t.entered_with is None and t.derived is None]


def parse_number(text: str | None, field_name: str) -> float | None:
    """A number as people type it ("7,2" or "7.2"); empty is None (``zelfzorg.inputs``)."""
    return inputs.parse_number((text or "").replace(" ", ""), field=field_name)


@dataclass(frozen=True)
class ReadingsInput:
    """Raw form values by field (``systolic``, ``diastolic`` or a type code)."""

    values: dict[str, str]
    measured_at: datetime | None
    note: str = ""


def confirm_token(data: ReadingsInput) -> str:
    """Names exactly the values and time the person was warned about; a confirmation of
    other values (changed after the warning) does not count."""
    values = sorted((k, (v or "").strip()) for k, v in data.values.items() if (v or "").strip())
    moment = data.measured_at.isoformat() if data.measured_at else ""
    return hashlib.sha256(repr((values, moment)).encode()).hexdigest()[:32]


@dataclass
class EntryResult:
    measurements: list[Measurement]
    warnings: list[Problem] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def _source_for(actor: Actor) -> MeasurementSource:
    if actor.is_patient:
        return MeasurementSource.patient
    if actor.is_professional:
        return MeasurementSource.professional
    raise Forbidden(N_("U heeft geen toegang tot deze pagina."))


def latest_values(
    session: Session, patient_id: int, type_codes: list[str] | None = None
) -> dict[str, Measurement]:
    """The newest current reading per type, in one query.

    One ``ORDER BY measured_at DESC LIMIT 1`` per type, each an index seek on
    (patient_id, type_code, measured_at), so the cost does not grow with years of readings
    (a GROUP BY over the patient's rows does). Without ``type_codes``: the catalogue's types.
    """
    codes = tuple(dict.fromkeys(type_codes or load_types()))
    rows = session.exec(_latest_statement(codes), params={"patient_id": patient_id}).all()
    return {row.type_code: row for row in rows}


@functools.lru_cache(maxsize=64)
def _latest_statement(codes: tuple[str, ...]):
    """Built once per set of types (building 15 subqueries costs more than running them)."""
    patient = sa.bindparam("patient_id", type_=sa.Integer)
    newest = [
        select(Measurement.id)
        .where(
            Measurement.patient_id == patient,
            Measurement.type_code == code,
            col(Measurement.superseded_at).is_(None),
        )
        .order_by(col(Measurement.measured_at).desc(), col(Measurement.id).desc())
        .limit(1)
        .scalar_subquery()
        for code in codes
    ]
    return select(Measurement).where(col(Measurement.id).in_(newest))


def _previous(latest: dict[str, Measurement], code: str) -> PreviousReading | None:
    row = latest.get(code)
    if row is None or row.value is None:
        return None
    return PreviousReading(value=row.value, measured_at=row.measured_at)


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(N_("Een notitie is hoogstens 500 tekens."), field="note")
    return note


def record_readings(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: ReadingsInput,
    *,
    now: datetime,
    confirmed: bool = False,
) -> EntryResult:
    """Check every value; store all of them or (when any is refused) none. Values with a
    warning are stored only once ``confirmed`` (else :class:`NeedsConfirmation`)."""
    source = _source_for(actor)
    patient = get_patient_for(
        session,
        actor,
        patient_id,
        write=True,
        action=AuditAction.create,
        object_type="Measurement",
    )
    note = _clean_note(data.note)
    problems: list[Problem] = []
    numbers: dict[str, float] = {}
    coded: dict[str, str] = {}
    types = load_types()
    for name, raw in data.values.items():
        if name in BP_FIELDS or (name in types and types[name].is_quantity):
            try:
                number = parse_number(raw, name)
            except ValidationError as error:
                problems.append(Problem(field=name, code="not_a_number", message=error.message))
                continue
            if number is not None:
                numbers[name] = number
        elif name in types and (raw or "").strip():
            coded[name] = raw.strip()
    has_bp = any(f in numbers for f in BP_FIELDS) or any(
        f in data.values and (data.values[f] or "").strip() for f in BP_FIELDS
    )
    if not numbers and not coded and not problems:
        raise ValidationError(N_("Vul minstens één meting in."))
    if data.measured_at is None:
        raise ValidationError(N_("Vul de datum en het tijdstip van de meting in."), field="date")
    measured_at = data.measured_at
    latest = latest_values(session, patient.id)

    if has_bp and not any(p.field in BP_FIELDS for p in problems):
        missing = [f for f in BP_FIELDS if f not in numbers]
        if missing:
            problems.append(
                Problem(
                    field=missing[0],
                    code="bp_incomplete",
                    message=N_("Vul zowel de bovendruk als de onderdruk in."),
                )
            )
        else:
            problems += check_value_pair(numbers["systolic"], numbers["diastolic"])
    for code, value in numbers.items():
        if code in BP_FIELDS:
            continue
        mtype = types[code]
        problems += check_value(
            mtype, value, field=code, previous=_previous(latest, code), measured_at=measured_at
        )
    for code, value in coded.items():
        problems += check_value(types[code], value, field=code)
    problems += check_time(measured_at, now, field="date", born=patient.date_of_birth)

    errors = [p for p in problems if p.is_error]
    if errors:
        raise PlausibilityError(errors)
    warnings = [p for p in problems if not p.is_error]
    if warnings and not confirmed:
        raise NeedsConfirmation(warnings, confirm_token(data))

    rows: list[Measurement] = []

    def add(code: str, value: float | None, reading: str | None, value_code: str | None = None):
        mtype = types[code]
        row = Measurement(
            patient_id=patient.id,
            type_code=code,
            value=value,
            value_code=value_code,
            unit=mtype.unit or "",
            measured_at=measured_at,
            source=source,
            reading_id=reading,
            entered_by_id=actor.user_id,
            note=note,
        )
        session.add(row)
        rows.append(row)
        return row

    if "systolic" in numbers:
        reading = uuid.uuid4().hex
        add("bp_systolic", numbers["systolic"], reading)
        add("bp_diastolic", numbers["diastolic"], reading)
    for code, value in numbers.items():
        if code in BP_FIELDS:
            continue
        reading = uuid.uuid4().hex if code == "weight" else None
        add(code, value, reading)
        if code == "weight":
            bmi_row = _derive_bmi(types, value, numbers, latest)
            if bmi_row is not None:
                add("bmi", bmi_row, reading)
    for code, value in coded.items():
        add(code, None, None, value)
    session.flush()
    from zelfzorg.leefstijl import eligibility

    eligibility.measurements_changed(session, [(r.patient_id, r.type_code) for r in rows], now)
    if source != MeasurementSource.professional:
        record_activity(session, patient.id, "measurement", now)
    alerts = evaluate_rows(session, rows, now=now)
    return EntryResult(rows, warnings, alerts)


def check_value_pair(systolic: float, diastolic: float) -> list[Problem]:
    """The BP pair's own checks (range of each, diastolic below systolic), without the time."""
    problems = check_bp(systolic, diastolic, utcnow(), utcnow())
    return [p for p in problems if p.field in BP_FIELDS]


def _derive_bmi(types, weight: float, numbers: dict[str, float], latest) -> float | None:
    """BMI from this weight and the height typed with it, else the latest height on record."""
    bmi_type = types["bmi"]
    height = numbers.get("height")
    if height is None and latest.get("height") is not None:
        height = latest["height"].value
    if height is None:
        return None
    value = derive_value(bmi_type, {"weight": weight, "height": height})
    # A BMI that cannot be (an old, wrong height) is not stored; the weight itself is.
    return value if bmi_type.plausible and bmi_type.plausible.contains(value) else None


# --- corrections -------------------------------------------------------------------------------


def may_correct_source(actor: Actor, row: Measurement) -> bool:
    """Professionals correct any reading of a patient they may reach; a patient only what
    they entered themselves."""
    return actor.is_professional or (actor.is_patient and row.source == MeasurementSource.patient)


def can_correct(actor: Actor, row: Measurement) -> bool:
    """Whether the overview offers a correction: the current version of a measured (not
    derived) value whose source the actor may correct."""
    return (
        row.superseded_at is None
        and get_type(row.type_code).derived is None
        and may_correct_source(actor, row)
    )


def load_measurement(
    session: Session, actor: Actor, measurement_id: int, *, write: bool = False
) -> Measurement:
    row = load_for(session, actor, Measurement, measurement_id, write=write)
    if write and not may_correct_source(actor, row):
        raise Forbidden(N_("Alleen metingen die u zelf hebt ingevoerd kunt u corrigeren."))
    return row


def correct_measurement(
    session: Session,
    actor: Actor,
    measurement_id: int,
    *,
    value: str,
    measured_at: datetime | None,
    note: str,
    now: datetime,
) -> Measurement:
    """A correction is a new row that supersedes the old one; the old row is kept."""
    source = _source_for(actor)
    old = load_measurement(session, actor, measurement_id, write=True)
    if old.superseded_at is not None:
        raise Conflict(
            N_("Deze meting is intussen al gecorrigeerd. Corrigeer de nieuwste versie."),
            current=old,
        )
    note = _clean_note(note)
    if not note:
        raise ValidationError(N_("Schrijf kort op waarom u de meting corrigeert."), field="note")
    mtype = get_type(old.type_code)
    if measured_at is None:
        raise ValidationError(N_("Vul de datum en het tijdstip van de meting in."), field="date")
    problems: list[Problem] = []
    number: float | None = None
    code_value: str | None = None
    if mtype.is_quantity:
        number = parse_number(value, "value")
        if number is None:
            raise ValidationError(N_("Vul een getal in."), field="value")
        partner = _bp_partner(session, old)
        if partner is not None and partner.value is not None:
            systolic, diastolic = (
                (number, partner.value)
                if old.type_code == "bp_systolic"
                else (partner.value, number)
            )
            problems += [
                Problem(field="value", code=p.code, message=p.message, params=p.params)
                for p in check_value_pair(systolic, diastolic)
            ]
        else:
            problems += check_reading(
                mtype,
                number,
                measured_at,
                now,
                context=ReadingContext(field="value", time_field="date", max_age_years=None),
            )
    else:
        code_value = (value or "").strip()
        problems += check_value(mtype, code_value, field="value")
    born = session.get(Patient, old.patient_id)
    problems += check_time(
        measured_at,
        now,
        field="date",
        max_age_years=None,
        born=born.date_of_birth if born else None,
    )
    errors = [p for p in problems if p.is_error]
    if errors:
        raise PlausibilityError(errors)

    # Conditional update: of two people correcting the same version, exactly one wins.
    superseded = _supersede(session, old, now)
    if not superseded:
        raise Conflict(
            N_("Deze meting is intussen al gecorrigeerd. Corrigeer de nieuwste versie."),
            current=old,
        )
    new = Measurement(
        patient_id=old.patient_id,
        type_code=old.type_code,
        value=number,
        value_code=code_value,
        unit=old.unit,
        measured_at=measured_at,
        source=source,
        reading_id=old.reading_id,
        entered_by_id=actor.user_id,
        supersedes_id=old.id,
        note=note,
    )
    session.add(new)
    rows = [new]
    if old.type_code == "weight" and old.reading_id and number is not None:
        rows += _recompute_bmi(session, old, new, number, now)
    session.flush()
    from zelfzorg.leefstijl import eligibility

    eligibility.measurements_changed(session, [(r.patient_id, r.type_code) for r in rows], now)
    evaluate_rows(session, rows, now=now)
    return new


def _supersede(session: Session, row: Measurement, now: datetime) -> bool:
    result = session.execute(
        sa.update(Measurement)
        .where(col(Measurement.id) == row.id, col(Measurement.superseded_at).is_(None))
        .values(superseded_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    return result.rowcount == 1


def _bp_partner(session: Session, row: Measurement) -> Measurement | None:
    if row.type_code not in BP_TYPES.values() or not row.reading_id:
        return None
    other = "bp_diastolic" if row.type_code == "bp_systolic" else "bp_systolic"
    return session.exec(
        select(Measurement).where(
            Measurement.patient_id == row.patient_id,
            Measurement.reading_id == row.reading_id,
            Measurement.type_code == other,
            col(Measurement.superseded_at).is_(None),
        )
    ).first()


def _recompute_bmi(
    session: Session, old: Measurement, new: Measurement, weight: float, now: datetime
) -> list[Measurement]:
    old_bmi = session.exec(
        select(Measurement).where(
            Measurement.patient_id == old.patient_id,
            Measurement.reading_id == old.reading_id,
            Measurement.type_code == "bmi",
            col(Measurement.superseded_at).is_(None),
        )
    ).first()
    latest = latest_values(session, old.patient_id, ["height"])
    value = _derive_bmi(load_types(), weight, {}, latest)
    if old_bmi is None or value is None or not _supersede(session, old_bmi, now):
        return []
    bmi = Measurement(
        patient_id=old.patient_id,
        type_code="bmi",
        value=value,
        unit=old_bmi.unit,
        measured_at=new.measured_at,
        source=new.source,
        reading_id=old.reading_id,
        entered_by_id=new.entered_by_id,
        supersedes_id=old_bmi.id,
        note=new.note,
    )
    session.add(bmi)
    return [bmi]


# --- overview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeSummary:
    mtype: MeasurementType
    latest: Measurement | None
    target: Target | None

    @property
    def on_target(self) -> bool | None:
        if self.latest is None or self.latest.value is None or self.target is None:
            return None
        return self.target.is_met(self.latest.value)


@dataclass(frozen=True)
class Overview:
    patient: Patient
    summaries: list[TypeSummary]
    recent: list[Measurement]
    alerts: list[Alert]
    tokens: list[DeviceToken]
    correctable: frozenset[int] = frozenset()  # ids in ``recent`` the actor may correct


def overview(session: Session, actor: Actor, patient_id: int, *, recent: int = 30) -> Overview:
    """Latest value and target per type, the latest entries (with versions), alerts."""
    patient = get_patient_for(session, actor, patient_id, object_type="Measurement")
    latest = latest_values(session, patient.id)
    targets = effective_targets(session, [patient.id])
    summaries = [
        TypeSummary(t, latest.get(t.code), targets.get((patient.id, t.code)))
        for t in load_types().values()
    ]
    rows = session.exec(
        select(Measurement)
        .where(Measurement.patient_id == patient.id)
        .order_by(col(Measurement.measured_at).desc(), col(Measurement.id).desc())
        .limit(recent)
    ).all()
    tokens: list[DeviceToken] = []
    if actor.is_professional:
        tokens = list(
            session.exec(
                select(DeviceToken)
                .where(DeviceToken.patient_id == patient.id)
                .order_by(col(DeviceToken.created_at).desc())
            ).all()
        )
    return Overview(
        patient,
        summaries,
        list(rows),
        alerts_for_patient(session, patient.id),
        tokens,
        frozenset(r.id for r in rows if can_correct(actor, r)),  # type: ignore[misc]
    )


def panel_name(code: str):
    return load_catalog().panels[code].name


# --- device tokens -----------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_device_token(
    session: Session, actor: Actor, patient_id: int, *, label: str
) -> tuple[str, DeviceToken]:
    """A new token for one patient's device; the plain token is returned once, never stored."""
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))
    label = (label or "").strip()
    if not label or len(label) > 100:
        raise ValidationError(
            N_("Geef het apparaat een naam (hoogstens 100 tekens)."), field="label"
        )
    patient = get_patient_for(
        session,
        actor,
        patient_id,
        write=True,
        action=AuditAction.create,
        object_type="DeviceToken",
    )
    token = "zzd_" + secrets.token_urlsafe(32)
    row = DeviceToken(
        patient_id=patient.id,
        token_hash=hash_token(token),
        label=label,
        created_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    return token, row


def revoke_device_token(session: Session, actor: Actor, patient_id: int, token_id: int) -> None:
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))
    row = load_child_for(session, actor, DeviceToken, token_id, patient_id=patient_id, write=True)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()


def patient_for_token(session: Session, token: str | None) -> tuple[Patient, DeviceToken] | None:
    """The patient a bearer token belongs to, or None (unknown, revoked or empty)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    found = _device_lookup(session, token)
    if not isinstance(found, TokenMatch):
        return None
    caller = found.principal
    assert isinstance(caller, DeviceCaller)
    return caller.patient, caller.token


# --- device API callers ------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCaller:
    """A patient's device: the patient its token is bound to, and the token row."""

    patient: Patient
    token: DeviceToken


def _device_lookup(session: Session, token: str) -> TokenMatch | TokenRefusal:
    row = session.exec(
        select(DeviceToken).where(DeviceToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        return TokenRefusal("invalid token")
    if row.revoked_at is not None:
        return TokenRefusal("revoked token", row.id)
    patient = session.get(Patient, row.patient_id)
    if patient is None:
        return TokenRefusal("invalid token")
    return TokenMatch(
        token_id=row.id,  # type: ignore[arg-type]
        user_name=f"device token {row.id}",  # the free-text label may name the patient
        organisation=f"practice:{patient.practice_id}",
        principal=DeviceCaller(patient, row),
    )


DEVICE_TOKENS = TokenKind(
    audit_type="DeviceToken",
    role="device",
    lookup=_device_lookup,
    refused_message=N_("Geen geldig apparaattoken."),
)


def authenticate_device(
    session: Session, authorization: str | None, *, client_address: str, now: datetime
) -> tuple[DeviceCaller, AuditSubject]:
    """The device (and its patient) behind an ``Authorization: Bearer`` header; refusals are
    audited and throttled per address (accounts.tokens.authenticate)."""
    found = authenticate(
        session, DEVICE_TOKENS, authorization, client_address=client_address, now=now
    )
    caller = found.match.principal
    assert isinstance(caller, DeviceCaller)
    return caller, found.subject


def mark_device_used(session: Session, caller: DeviceCaller, *, now: datetime) -> None:
    """Record the token's use once a batch was accepted (a refused batch changes nothing)."""
    caller.token.last_used_at = now
    session.add(caller.token)


def latest_relevant_values(
    session: Session, wanted: dict[int, list[str]]
) -> dict[int, Measurement]:
    """{patient: newest current reading} of the first of that patient's types (most relevant
    first) that has one; one query for all patients: an index seek per (patient, type), as in
    :func:`latest_values`, with the statement built once per number of pairs."""
    pairs = [(patient_id, code) for patient_id, codes in wanted.items() for code in codes]
    if not pairs:
        return {}
    params = {}
    for i, (patient_id, code) in enumerate(pairs):
        params[f"p{i}"], params[f"c{i}"] = patient_id, code
    rows = session.exec(_latest_pairs_statement(len(pairs)), params=params).all()  # type: ignore[call-overload]
    found = {(row.patient_id, row.type_code): row for row in rows}
    result = {}
    for patient_id, codes in wanted.items():
        for code in codes:
            if (patient_id, code) in found:
                result[patient_id] = found[(patient_id, code)]
                break
    return result


@functools.lru_cache(maxsize=64)
def _latest_pairs_statement(n: int):
    newest = [
        select(Measurement.id)
        .where(
            Measurement.patient_id == sa.bindparam(f"p{i}", type_=sa.Integer),
            Measurement.type_code == sa.bindparam(f"c{i}", type_=sa.String),
            col(Measurement.superseded_at).is_(None),
            col(Measurement.value).is_not(None),
        )
        .order_by(col(Measurement.measured_at).desc(), col(Measurement.id).desc())
        .limit(1)
        .scalar_subquery()
        for i in range(n)
    ]
    return select(Measurement).where(col(Measurement.id).in_(newest))
