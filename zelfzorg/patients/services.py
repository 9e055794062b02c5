"""Patients: create, search, open, enrol in care programmes, care team."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import Role, User
from zelfzorg.accounts.scope import (
    Actor,
    audit,
    audit_shown,
    get_patient_for,
    load_child_for,
    patients_query,
)
from zelfzorg.accounts.services import practice_staff
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Conflict, Forbidden, ValidationError
from zelfzorg.inputs import check_date, check_text
from zelfzorg.patients.models import (
    PROGRAMME_CONDITION,
    CareTeamMember,
    CareTeamRole,
    Condition,
    Enrolment,
    Patient,
    PracticePeriod,
    Programme,
    Sex,
)
from zelfzorg.patients.population import enrolment_active_on, is_enrolment_active
from zelfzorg.patients.practice_history import move_patient, open_first_period


def _require_professional(actor: Actor) -> None:
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))


@dataclass(frozen=True)
class PatientInput:
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: str
    his_number: str | None = None
    practice_id: int | None = None  # one of the actor's practices; None: the home practice


def _clean_patient(data: PatientInput, today: date) -> dict:
    errors: list[ValidationError] = []
    given = check_text(data.given_name, field="given_name").strip()
    family = check_text(data.family_name, field="family_name").strip()
    if not given or len(given) > 100:
        errors.append(
            ValidationError(N_("Vul een voornaam in (hoogstens 100 tekens)."), field="given_name")
        )
    if not family or len(family) > 100:
        errors.append(
            ValidationError(
                N_("Vul een achternaam in (hoogstens 100 tekens)."), field="family_name"
            )
        )
    if data.date_of_birth is None or data.date_of_birth > today or data.date_of_birth.year < 1900:
        errors.append(
            ValidationError(N_("Vul een geldige geboortedatum in."), field="date_of_birth")
        )
    if data.sex not in {s.value for s in Sex}:
        errors.append(ValidationError(N_("Kies het geslacht."), field="sex"))
    his = (data.his_number or "").strip() or None
    if his is not None and (len(his) > 40 or not his.replace("-", "").isalnum()):
        errors.append(
            ValidationError(
                N_("Het HIS-nummer mag alleen letters en cijfers bevatten."), field="his_number"
            )
        )
    if errors:
        raise errors[0]
    return {
        "given_name": given,
        "family_name": family,
        "date_of_birth": data.date_of_birth,
        "sex": Sex(data.sex),
        "his_number": his,
    }


def practice_for_new_patient(actor: Actor, practice_id: int | None) -> int:
    """A new patient belongs to the practice chosen among the actor's, by default their home
    practice (or their only one)."""
    if practice_id is None:
        practice_id = actor.user.practice_id
        if practice_id is None and len(actor.practice_ids) == 1:
            (practice_id,) = actor.practice_ids
    if practice_id is None or practice_id not in actor.practice_ids:
        raise ValidationError(N_("Kies een van uw praktijken."), field="practice_id")
    return practice_id


def create_patient(session: Session, actor: Actor, data: PatientInput, *, today: date) -> Patient:
    _require_professional(actor)
    values = _clean_patient(data, today)
    practice_id = practice_for_new_patient(actor, data.practice_id)
    if (
        values["his_number"]
        and session.exec(
            select(Patient.id).where(
                Patient.practice_id == practice_id,
                Patient.his_number == values["his_number"],
            )
        ).first()
    ):
        raise ValidationError(
            N_("Er is al een patiënt met dit HIS-nummer in uw praktijk."), field="his_number"
        )
    patient = Patient(practice_id=practice_id, created_by_id=actor.user_id, **values)
    session.add(patient)
    session.flush()
    open_first_period(session, patient, created_by_id=actor.user_id)
    audit(
        session,
        actor,
        action=AuditAction.create,
        object_type="Patient",
        object_id=patient.id,
        patient_id=patient.id,
    )
    return patient


E_PATIENT_CONFLICT = N_(
    "Iemand anders heeft de gegevens van deze patiënt intussen gewijzigd. Uw invoer staat nog "
    "in het formulier; controleer het en sla opnieuw op."
)


def update_patient(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: PatientInput,
    *,
    version: int | None,
    today: date,
    move_on: date | None = None,
) -> Patient:
    """Correct a patient's name, date of birth, sex and HIS number, and move them to another
    practice of the care group (from ``move_on``, default today) through the practice
    history, so counts before the move stay with the old practice.

    Everything is checked before anything is written; the version check is in the UPDATE, so
    of two simultaneous saves on the same version only one applies.
    """
    _require_professional(actor)
    patient = get_patient_for(session, actor, patient_id, write=True)
    values = _clean_patient(data, today)
    expected = patient.version if version is None else version
    if expected != patient.version:
        raise Conflict(E_PATIENT_CONFLICT, current=patient)
    target = data.practice_id or patient.practice_id
    moving = target != patient.practice_id
    if (
        values["his_number"]
        and session.exec(
            select(Patient.id).where(
                Patient.practice_id == target,
                Patient.his_number == values["his_number"],
                Patient.id != patient.id,
            )
        ).first()
    ):
        raise ValidationError(
            N_("Er is al een patiënt met dit HIS-nummer in deze praktijk."), field="his_number"
        )
    periods = session.exec(
        select(PracticePeriod)
        .where(PracticePeriod.patient_id == patient.id)
        .order_by(col(PracticePeriod.start_date))
    ).all()
    first = periods[0] if periods else None
    born = values["date_of_birth"]
    earliest_enrolment = session.exec(
        select(func.min(Enrolment.start_date)).where(Enrolment.patient_id == patient.id)
    ).one()
    if (earliest_enrolment is not None and born > earliest_enrolment) or (
        first is not None and first.end_date is not None and born >= first.end_date
    ):
        raise ValidationError(
            N_(
                "Deze geboortedatum ligt na de start van een zorgprogramma of een verhuizing. "
                "Controleer de datum."
            ),
            field="date_of_birth",
        )
    on = move_on or today
    if moving:
        _check_move(session, actor, patient, target, on, today, periods)
    changed = sorted(k for k, v in values.items() if getattr(patient, k) != v)
    old_born = patient.date_of_birth
    result = session.execute(
        sa.update(Patient)
        .where(col(Patient.id) == patient.id, col(Patient.version) == expected)
        .values(**values, version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(patient)
    if result.rowcount != 1:
        raise Conflict(E_PATIENT_CONFLICT, current=patient)
    if first is not None and "date_of_birth" in changed and first.start_date == old_born:
        first.start_date = born  # the record's first period starts at birth
        session.add(first)
    if "given_name" in changed or "family_name" in changed:
        for account in session.exec(select(User).where(User.patient_id == patient.id)).all():
            account.name = patient.full_name
            session.add(account)
    session.flush()
    if moving:
        move_patient(session, actor, patient.id, practice_id=target, on=on, today=today)
        changed.append("practice_id")
    if {"date_of_birth", "sex", "practice_id"} & set(changed):
        _eligibility_changed(session, patient.id, today)  # type: ignore[arg-type]
    # The audit entry names which details changed, never their values.
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type="Patient",
        object_id=patient.id,
        patient_id=patient.id,
        detail="changed " + ",".join(changed) if changed else "no change",
    )
    return patient


def _check_move(session, actor, patient, target_id, on, today, periods) -> None:
    """The move's own checks, made before the details are saved (move_patient repeats them)."""
    from zelfzorg.accounts.models import Practice

    target = session.get(Practice, target_id)
    current = session.get(Practice, patient.practice_id)
    if target is None or current is None or target.care_group_id != current.care_group_id:
        raise ValidationError(N_("Kies een praktijk van de zorggroep."), field="practice_id")
    open_period = next((p for p in periods if p.end_date is None), None)
    start = open_period.start_date if open_period else patient.date_of_birth
    if on > today or on <= start:
        raise ValidationError(
            N_("Kies een verhuisdatum na %(start)s en uiterlijk vandaag."),
            field="move_on",
            start=start,
        )


PAGE_SIZE = 25


@dataclass(frozen=True)
class PatientRow:
    patient: Patient
    programmes: list[str]


@dataclass(frozen=True)
class PatientPage:
    rows: list[PatientRow]
    total: int
    page: int
    pages: int


def search_patients(
    session: Session,
    actor: Actor,
    *,
    query: str = "",
    programme: str | None = None,
    practice_id: int | None = None,
    page: int = 1,
    today: date,
) -> PatientPage:
    """The actor's patients matching a name, HIS number or birth date (dd-mm-jjjj), of one of
    their practices when ``practice_id`` is given."""
    _require_professional(actor)
    stmt = patients_query(actor)
    if practice_id is not None:
        if practice_id not in actor.practice_ids:
            raise ValidationError(N_("Kies een van uw praktijken."), field="practice")
        stmt = stmt.where(Patient.practice_id == practice_id)
    query = (query or "").strip()[:100]
    if query:
        # % and _ typed by the user are literal characters, not wildcards.
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        conditions = [
            func.lower(Patient.family_name).like(like, escape="\\"),
            func.lower(Patient.given_name).like(like, escape="\\"),
            func.lower(func.coalesce(Patient.his_number, "")).like(like, escape="\\"),
        ]
        with suppress(ValueError):  # not a dd-mm-jjjj date: search names and numbers only
            day, month, year = (int(p) for p in query.split("-"))
            conditions.append(Patient.date_of_birth == date(year, month, day))
        stmt = stmt.where(or_(*conditions))
    if programme:
        active = (
            select(Enrolment.patient_id)
            .where(Enrolment.programme == programme)
            .where(enrolment_active_on(today))
        )
        stmt = stmt.where(col(Patient.id).in_(active))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    patients = session.exec(
        stmt.order_by(Patient.family_name, Patient.given_name, Patient.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    ids = [p.id for p in patients]
    programmes: dict[int, list[str]] = {pid: [] for pid in ids}
    if ids:
        for pid, prog in session.exec(
            select(Enrolment.patient_id, Enrolment.programme)
            .where(col(Enrolment.patient_id).in_(ids))
            .where(enrolment_active_on(today))
            .order_by(Enrolment.programme)
        ).all():
            programmes[pid].append(str(prog))
    # The search text may be a name or birth date: the log keeps its length, not its words.
    audit(
        session,
        actor,
        action=AuditAction.search,
        object_type="Patient",
        detail=(
            f"{len(query)} characters programme={programme or ''} "
            f"practice={practice_id or ''} results={total}"
        ),
    )
    audit_shown(session, actor, ids, object_type="PatientList")
    return PatientPage([PatientRow(p, programmes[p.id]) for p in patients], total, page, pages)


@dataclass(frozen=True)
class PatientRecord:
    patient: Patient
    conditions: list[Condition]
    enrolments: list[Enrolment]
    care_team: list[tuple[CareTeamMember, User]]

    def active_programmes(self, today: date) -> list[Programme]:
        return [e.programme for e in self.enrolments if is_enrolment_active(e, today)]


# Built once (a record page sends them on every view); the patient's id is bound per call.
_PATIENT = sa.bindparam("patient_id")
_CONDITIONS = select(Condition).where(Condition.patient_id == _PATIENT).order_by(Condition.code)
_ENROLMENTS = (
    select(Enrolment)
    .where(Enrolment.patient_id == _PATIENT)
    .order_by(col(Enrolment.start_date).desc(), Enrolment.id)
)
_CARE_TEAM = (
    select(CareTeamMember, User)
    .join(User, col(User.id) == CareTeamMember.user_id)
    .where(CareTeamMember.patient_id == _PATIENT)
    .order_by(CareTeamMember.role, User.name)
)


def load_record(session: Session, patient: Patient) -> PatientRecord:
    params = {"patient_id": patient.id}
    conditions = session.exec(_CONDITIONS, params=params).all()
    enrolments = session.exec(_ENROLMENTS, params=params).all()
    team = session.exec(_CARE_TEAM, params=params).all()
    return PatientRecord(patient, list(conditions), list(enrolments), list(team))


def open_patient(session: Session, actor: Actor, patient_id: int) -> PatientRecord:
    patient = get_patient_for(session, actor, patient_id)
    return load_record(session, patient)


def enrol(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    programme: str,
    start_date: date | None,
    today: date,
) -> Enrolment:
    _require_professional(actor)
    if programme not in {p.value for p in Programme}:
        raise ValidationError(N_("Kies een zorgprogramma."), field="programme")
    if start_date is None or start_date > today:
        raise ValidationError(
            N_("De startdatum mag niet in de toekomst liggen."), field="start_date"
        )
    patient = get_patient_for(
        session, actor, patient_id, write=True, action=AuditAction.create, object_type="Enrolment"
    )
    check_date(start_date, field="start_date", born=patient.date_of_birth, today=today)
    existing = session.exec(
        select(Enrolment).where(
            Enrolment.patient_id == patient.id, Enrolment.programme == programme
        )
    ).all()
    # Running today, or ending later: a second one would overlap.
    if any(e.end_date is None or e.end_date > today for e in existing):
        raise ValidationError(
            N_("Deze patiënt doet al mee aan dit zorgprogramma."), field="programme"
        )
    enrolment = Enrolment(
        patient_id=patient.id,
        programme=Programme(programme),
        start_date=start_date,
        created_by_id=actor.user_id,
    )
    session.add(enrolment)
    code, name = PROGRAMME_CONDITION[Programme(programme)]
    if not session.exec(
        select(Condition.id).where(Condition.patient_id == patient.id, Condition.code == code)
    ).first():
        session.add(Condition(patient_id=patient.id, code=code, name=name, onset_date=start_date))
    session.flush()
    _eligibility_changed(session, patient.id, today)  # type: ignore[arg-type]
    return enrolment


def end_enrolment(
    session: Session,
    actor: Actor,
    patient_id: int,
    enrolment_id: int,
    *,
    end_date: date | None,
    today: date,
) -> Enrolment:
    _require_professional(actor)
    # The enrolment must belong to the patient in the URL: never act on another record.
    enrolment = load_child_for(
        session, actor, Enrolment, enrolment_id, patient_id=patient_id, write=True
    )
    if end_date is None or end_date < enrolment.start_date or end_date > today:
        raise ValidationError(
            N_("Kies een einddatum tussen de startdatum en vandaag."), field="end_date"
        )
    if enrolment.end_date is not None:
        raise ValidationError(N_("Deze inschrijving is al beëindigd."))
    enrolment.end_date = end_date
    session.add(enrolment)
    session.flush()
    _eligibility_changed(session, enrolment.patient_id, today)
    return enrolment


def _eligibility_changed(session: Session, patient_id: int, today: date) -> None:
    # Programmes, age, sex and practice are facts of the lifestyle criteria.
    from zelfzorg.leefstijl import eligibility

    eligibility.patients_changed(session, [patient_id], today)


def set_care_team_member(
    session: Session, actor: Actor, patient_id: int, *, user_id: int, role: str
) -> CareTeamMember:
    """Hoofdbehandelaar and contact person are one person each; members may be several."""
    _require_professional(actor)
    if role not in {r.value for r in CareTeamRole}:
        raise ValidationError(N_("Kies een rol in het zorgteam."), field="role")
    patient = get_patient_for(session, actor, patient_id, write=True, object_type="CareTeam")
    member_user = session.get(User, user_id)
    if (
        member_user is None
        or member_user.role != Role.professional
        or member_user.id not in {u.id for u in practice_staff(session, patient.practice_id)}
    ):
        raise ValidationError(N_("Kies een zorgverlener van de praktijk."), field="user_id")
    if role != CareTeamRole.member:
        for old in session.exec(
            select(CareTeamMember).where(
                CareTeamMember.patient_id == patient.id, CareTeamMember.role == role
            )
        ).all():
            session.delete(old)
        session.flush()
    existing = session.exec(
        select(CareTeamMember).where(
            CareTeamMember.patient_id == patient.id,
            CareTeamMember.user_id == user_id,
            CareTeamMember.role == role,
        )
    ).first()
    if existing:
        return existing
    member = CareTeamMember(patient_id=patient.id, user_id=user_id, role=CareTeamRole(role))
    session.add(member)
    session.flush()
    return member


def active_enrolment_counts(
    session: Session, patient_ids: list[int], today: date
) -> dict[int, int]:
    if not patient_ids:
        return {}
    rows = session.exec(
        select(Enrolment.patient_id, func.count())
        .where(col(Enrolment.patient_id).in_(patient_ids))
        .where(enrolment_active_on(today))
        .group_by(Enrolment.patient_id)
    ).all()
    return dict(rows)
