"""Lifestyle use cases: catalogue, eligibility, referrals and their lifecycle.

Eligibility reads everything it needs in a constant number of queries (patients, active
enrolments, latest current measurements, latest scored activation assessment, catalogue,
referrals) and evaluates the criteria in Python with the three-valued engine of ``criteria``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import CareGroup, Practice, Role
from zelfzorg.accounts.scope import (
    Actor,
    audit,
    audit_shown,
    care_group_of_practice,
    care_group_scope,
    get_patient_for,
    load_child_for,
    load_for,
    not_found,
)
from zelfzorg.assessment.services import latest_levels_subquery
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_, Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.izp.models import Goal
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.criteria import (
    MEASUREMENTS,
    SMOKING_STATUSES,
    Criterion,
    Evaluation,
    PatientFacts,
    criteria_to_data,
    describe,
    evaluate,
    parse_criteria,
)
from zelfzorg.leefstijl.criteria.sql import local_midnight
from zelfzorg.leefstijl.models import Eligibility, Intervention, Referral, ReferralEvent
from zelfzorg.patients.models import Enrolment, Patient, Programme, Sex
from zelfzorg.patients.population import enrolment_active_on, population_subquery
from zelfzorg.telemonitoring.models import Measurement, current_reading

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# A yearly check-up plus some slack: older values no longer describe the patient.
MAX_MEASUREMENT_AGE_DAYS = 400
SMOKING_CODE = "smoking_status"
PROGRAMME_CODES: tuple[str, ...] = tuple(p.value for p in Programme)


def local_day(moment: datetime) -> date:
    return moment.astimezone(AMSTERDAM).date()


def actor_role(actor: Actor) -> str:
    if actor.is_patient:
        return rs.PATIENT
    if actor.is_professional:
        return rs.PROFESSIONAL
    return str(actor.role)


def _require_professional(actor: Actor) -> None:
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk mogen dit."))


def _require_editor(actor: Actor) -> None:
    if actor.role not in (Role.admin, Role.caregroup):
        raise Forbidden(
            N_("Alleen de zorggroep en beheerders mogen het leefstijlaanbod aanpassen.")
        )


def _check_own_group(session: Session, actor: Actor, care_group_id: int | None) -> None:
    """Care-group staff keep their own catalogue; administrators keep every group's."""
    if actor.role == Role.caregroup and care_group_id != care_group_of(session, actor):
        raise ValidationError(
            N_("U beheert alleen het leefstijlaanbod van uw eigen zorggroep."),
            field="care_group_id",
        )


# --- catalogue ------------------------------------------------------------------------------
@dataclass(frozen=True)
class InterventionInput:
    care_group_id: int | None
    name: str
    kind: str
    provider: str = ""
    internet_based: bool = False
    zorgstandaard_conform: bool = False
    insured: bool = False
    programmes: list[str] = field(default_factory=list)
    description_nl: str = ""
    description_en: str = ""
    criteria_text: str = ""
    active: bool = True


E_CRITERIA_EMPTY = N_(
    "Vul de voorwaarden in als JSON, bijvoorbeeld "
    '{"all": [{"programme_in": ["DM2"]}, {"measurement": "bmi", "op": ">=", "value": 25}]}.'
)
E_CRITERIA_JSON = N_(
    "De voorwaarden zijn geen geldige JSON: fout in regel %(line)s, kolom %(column)s."
)
E_INTERVENTION_CONFLICT = N_(
    "Iemand anders heeft deze interventie intussen gewijzigd. Uw invoer staat nog in het "
    "formulier; hieronder ziet u de opgeslagen versie. Controleer en sla opnieuw op."
)


def criteria_from_text(text: str) -> dict:
    """Parse and validate criteria typed as JSON; errors name the path (``criteria...``)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(E_CRITERIA_EMPTY, field="criteria")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(
            E_CRITERIA_JSON, field="criteria", line=error.lineno, column=error.colno
        ) from None
    return criteria_to_data(parse_criteria(data))


def _clean_intervention(session: Session, data: InterventionInput) -> dict:
    name = (data.name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(N_("Vul een naam in (hoogstens 200 tekens)."), field="name")
    if data.care_group_id is None or session.get(CareGroup, data.care_group_id) is None:
        raise ValidationError(N_("Kies een zorggroep."), field="care_group_id")
    if data.kind not in rs.INTERVENTION_KINDS:
        raise ValidationError(N_("Kies een soort interventie."), field="kind")
    provider = (data.provider or "").strip()
    if len(provider) > 200:
        raise ValidationError(N_("De aanbieder mag hoogstens 200 tekens hebben."), field="provider")
    programmes = list(dict.fromkeys(data.programmes or []))
    if any(p not in PROGRAMME_CODES for p in programmes):
        raise ValidationError(N_("Kies alleen bestaande zorgprogramma's."), field="programmes")
    description_nl = (data.description_nl or "").strip()
    if not description_nl:
        raise ValidationError(
            N_("Beschrijf de interventie in eenvoudige woorden."), field="description_nl"
        )
    for key, text in (("description_nl", description_nl), ("description_en", data.description_en)):
        if len(text or "") > 4000:
            raise ValidationError(N_("Gebruik hoogstens 4000 tekens."), field=key)
    return {
        "care_group_id": data.care_group_id,
        "name": name,
        "kind": data.kind,
        "provider": provider,
        "internet_based": bool(data.internet_based),
        "zorgstandaard_conform": bool(data.zorgstandaard_conform),
        "insured": bool(data.insured),
        "programmes": sorted(programmes, key=PROGRAMME_CODES.index),
        "description_nl": description_nl,
        "description_en": (data.description_en or "").strip(),
        "criteria": criteria_from_text(data.criteria_text),
        "active": bool(data.active),
    }


def create_intervention(
    session: Session, actor: Actor, data: InterventionInput, *, now: datetime
) -> Intervention:
    _require_editor(actor)
    _check_own_group(session, actor, data.care_group_id)
    values = _clean_intervention(session, data)
    intervention = Intervention(
        **values, created_at=now, updated_at=now, updated_by_id=actor.user_id
    )
    session.add(intervention)
    session.flush()
    _catalogue_changed(session, intervention, now)
    audit(
        session,
        actor,
        action=AuditAction.create,
        object_type="LifestyleIntervention",
        object_id=intervention.id,
    )
    return intervention


def update_intervention(
    session: Session,
    actor: Actor,
    intervention_id: int,
    data: InterventionInput,
    *,
    version: int | None,
    now: datetime,
) -> Intervention:
    """Save an edit made on ``version``; a newer saved version raises ``Conflict``."""
    _require_editor(actor)
    intervention = get_intervention(session, actor, intervention_id)
    _check_own_group(session, actor, data.care_group_id)
    values = _clean_intervention(session, data)
    expected = intervention.version if version is None else version
    # The version check is in the UPDATE itself, so two simultaneous saves cannot both apply.
    result = session.execute(
        sa.update(Intervention)
        .where(col(Intervention.id) == intervention_id, col(Intervention.version) == expected)
        .values(**values, version=expected + 1, updated_at=now, updated_by_id=actor.user_id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(intervention)
    if result.rowcount != 1:
        raise Conflict(E_INTERVENTION_CONFLICT, current=intervention)
    _catalogue_changed(session, intervention, now)
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type="LifestyleIntervention",
        object_id=intervention.id,
    )
    return intervention


def _catalogue_changed(session: Session, intervention: Intervention, now: datetime) -> None:
    """Every patient of the care group gets the catalogue's new outcomes (set-based)."""
    from zelfzorg.leefstijl import eligibility

    eligibility.care_group_changed(
        session, intervention.care_group_id, local_day(now), intervention_id=intervention.id
    )


def care_group_of(session: Session, actor: Actor) -> int | None:
    """The care group whose catalogue this actor reads (None for admins: every group)."""
    user = actor.user
    if user.role == Role.patient:
        patient = session.get(Patient, user.patient_id) if user.patient_id else None
        return care_group_of_practice(session, patient.practice_id) if patient else None
    if user.role == Role.admin:
        return None
    return care_group_scope(session, actor, object_type="LifestyleCatalogue").care_group_id


def list_catalogue(
    session: Session, actor: Actor, *, include_inactive: bool = False
) -> list[Intervention]:
    """Professionals and care-group staff read their care group's catalogue; admins all."""
    if actor.role == Role.admin:
        stmt = select(Intervention)
    elif actor.role in (Role.professional, Role.caregroup):
        group = care_group_of(session, actor)
        if group is None:
            return []
        stmt = select(Intervention).where(Intervention.care_group_id == group)
    else:
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    if not include_inactive:
        stmt = stmt.where(col(Intervention.active).is_(True))
    return list(
        session.exec(stmt.order_by(Intervention.care_group_id, Intervention.name, Intervention.id))
    )


def get_intervention(session: Session, actor: Actor, intervention_id: int) -> Intervention:
    intervention = session.get(Intervention, intervention_id)
    if intervention is None or (
        actor.role != Role.admin and intervention.care_group_id != care_group_of(session, actor)
    ):
        # Another care group's entry is not revealed: the same answer as a missing one.
        raise not_found(
            session,
            actor,
            object_type="LifestyleIntervention",
            object_id=intervention_id,
            message=N_("Deze interventie bestaat niet."),
        )
    return intervention


def parsed(intervention: Intervention) -> Criterion:
    return parse_criteria(intervention.criteria)


# --- facts for eligibility --------------------------------------------------------------------
def _active_catalogue():
    """The active interventions, in catalogue order (narrow it to a care group)."""
    return (
        select(Intervention)
        .where(col(Intervention.active).is_(True))
        .order_by(Intervention.name, Intervention.id)
    )


def active_interventions(session: Session, care_group_id: int) -> list[Intervention]:
    return list(
        session.exec(_active_catalogue().where(Intervention.care_group_id == care_group_id))
    )


def measurement_codes(interventions: Iterable[Intervention]) -> set[str]:
    codes: set[str] = set()
    for intervention in interventions:
        codes |= {n["measurement"] for n in _nodes(intervention.criteria) if "measurement" in n}
    return codes & set(MEASUREMENTS)


def _nodes(data: object) -> Iterable[Mapping]:
    if isinstance(data, Mapping):
        yield data
        for key in ("all", "any"):
            for item in data.get(key, []) or []:
                yield from _nodes(item)
        if "not" in data:
            yield from _nodes(data["not"])


def load_facts(
    session: Session,
    patients: list[Patient],
    patient_ids: sa.Select | list[int],
    codes: set[str],
    today: date,
    *,
    programmes: Mapping[int, set[str]] | None = None,
) -> dict[int, PatientFacts]:
    """Facts per patient in three queries, whatever the number of patients.

    ``patient_ids`` is the same set as ``patients``, as a list or a subquery (a whole
    practice is better filtered by a subquery than by thousands of bound ids).
    ``programmes``: each patient's programmes on ``today`` when the caller read them already
    (:func:`programmes_column`), one query fewer.
    """
    if programmes is None:
        read: dict[int, set[str]] = defaultdict(set)
        for pid, programme in session.exec(
            select(Enrolment.patient_id, Enrolment.programme)
            .where(col(Enrolment.patient_id).in_(patient_ids))
            .where(enrolment_active_on(today))
        ):
            read[pid].add(str(programme))
        programmes = read

    # Facts as they were on ``today``: a past reference date (indicator L2) ignores later data.
    day_end = local_midnight(today + timedelta(days=1), AMSTERDAM)
    measurements: dict[int, dict[str, tuple[float, date]]] = defaultdict(dict)
    smoking: dict[int, str] = {}
    wanted = sorted(codes | {SMOKING_CODE})
    rank = (
        sa.func.row_number()
        .over(
            partition_by=(col(Measurement.patient_id), col(Measurement.type_code)),
            order_by=(col(Measurement.measured_at).desc(), col(Measurement.id).desc()),
        )
        .label("rank")
    )
    latest = (
        select(
            col(Measurement.patient_id).label("patient_id"),
            col(Measurement.type_code).label("type_code"),
            col(Measurement.value).label("value"),
            col(Measurement.value_code).label("value_code"),
            col(Measurement.measured_at).label("measured_at"),
            rank,
        )
        .where(col(Measurement.patient_id).in_(patient_ids))
        .where(col(Measurement.type_code).in_(wanted))
        .where(current_reading())
        .where(col(Measurement.measured_at) < day_end)
        .subquery()
    )
    for pid, code, value, value_code, measured_at in session.execute(
        sa.select(
            latest.c.patient_id,
            latest.c.type_code,
            latest.c.value,
            latest.c.value_code,
            latest.c.measured_at,
        ).where(latest.c.rank == 1)
    ):
        if code == SMOKING_CODE:
            if value_code in SMOKING_STATUSES:
                smoking[pid] = value_code
        elif value is not None:
            measurements[pid][code] = (value, local_day(_aware(measured_at)))

    activation: dict[int, int] = {}
    latest = latest_levels_subquery(patient_ids, before=day_end)
    for pid, level in session.execute(sa.select(latest.c.patient_id, latest.c.level)):
        if level in (1, 2, 3, 4):
            activation[pid] = level

    return {
        p.id: PatientFacts(  # type: ignore[misc]
            programmes=frozenset(programmes.get(p.id, ())),
            age=p.age_on(today),
            sex=str(p.sex) if p.sex in (Sex.female, Sex.male) else None,
            measurements=measurements[p.id],
            smoking=smoking.get(p.id),  # type: ignore[arg-type]
            activation_level=activation.get(p.id),  # type: ignore[arg-type]
            reference_date=today,
            max_measurement_age_days=MAX_MEASUREMENT_AGE_DAYS,
        )
        for p in patients
    }


def _aware(moment: datetime) -> datetime:
    # Rows read through a bare select may skip the type decorator's UTC handling.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- eligibility ------------------------------------------------------------------------------
@dataclass(frozen=True)
class EligibilityRow:
    intervention: Intervention
    evaluation: Evaluation
    criteria_text: str


def eligibility_for(
    session: Session, actor: Actor, patient_id: int, today: date, *, lang: str = "nl"
) -> list[EligibilityRow]:
    """Outcome and explanation for every active intervention of the patient's care group."""
    _require_professional(actor)
    patient = get_patient_for(session, actor, patient_id, object_type="LifestyleEligibility")
    interventions = active_interventions(
        session, care_group_of_practice(session, patient.practice_id)
    )
    facts = load_facts(
        session,
        [patient],
        [patient.id],
        measurement_codes(interventions),
        today,  # type: ignore[list-item]
    )[patient.id]  # type: ignore[index]
    rows = []
    for intervention in interventions:
        tree = parsed(intervention)
        rows.append(EligibilityRow(intervention, evaluate(tree, facts, lang), describe(tree, lang)))
    order = {"eligible": 0, "unknown": 1, "not_eligible": 2}
    return sorted(rows, key=lambda r: order[r.evaluation.outcome])


@dataclass(frozen=True)
class Opportunity:
    patient: Patient
    intervention: Intervention
    evaluation: Evaluation
    # The latest earlier referral to this intervention (ended long enough ago), for context.
    previous: Referral | None = None


# A referral that ended (declined, stopped or completed) blocks a new offer of the same
# intervention for a year: asking again sooner is pushy, never asking again forgets that
# circumstances and motivation change (e.g. a new attempt to stop smoking).
REOFFER_AFTER_DAYS = 365


OPPORTUNITIES_PER_PAGE = 50


class OpportunityPage(list):
    """One page of opportunities (a list) with the total and the page numbers."""

    def __init__(self, items: Iterable[Opportunity], *, total: int, page: int, per_page: int):
        super().__init__(items)
        self.total = total
        self.page = page
        self.pages = max(1, -(-total // per_page))


def _not_blocked(patient_id, intervention_id, today: date) -> sa.ColumnElement[bool]:
    """No running referral to the intervention, nor one that ended within a year."""
    recent = today - timedelta(days=REOFFER_AFTER_DAYS)
    return ~sa.exists().where(
        Referral.patient_id == patient_id,
        Referral.intervention_id == intervention_id,
        sa.or_(
            col(Referral.state).not_in(list(rs.FINAL_STATES)),
            col(Referral.state_since) >= recent,
        ),
    )


def programmes_column(patient_id_column, today: date) -> sa.ScalarSelect:
    """SQL: a patient's programmes on ``today`` as one text ("DM2,CVRM"; NULL for none), to
    read with the patient; :func:`parse_programmes` reads it back."""
    return (
        sa.select(sa.func.aggregate_strings(sa.cast(Enrolment.programme, sa.String), ","))
        .where(Enrolment.patient_id == patient_id_column, enrolment_active_on(today))
        .scalar_subquery()
    )


def parse_programmes(text: str | None) -> set[str]:
    return set(text.split(",")) if text else set()


def _previous_referrals(
    session: Session, patient_ids: list[int], today: date
) -> dict[tuple[int, int], Referral]:
    """The latest ended referral per (patient, intervention) among these patients."""
    previous: dict[tuple[int, int], Referral] = {}
    for referral in session.exec(
        select(Referral)
        .where(col(Referral.patient_id).in_(patient_ids))
        .order_by(Referral.state_since, Referral.id)
    ):
        previous[(referral.patient_id, referral.intervention_id)] = referral  # the last wins
    return previous


def practice_opportunities(
    session: Session,
    actor: Actor,
    today: date,
    *,
    lang: str = "nl",
    practice_id: int | None = None,
    page: int = 1,
    per_page: int = OPPORTUNITIES_PER_PAGE,
) -> OpportunityPage:
    """The population of the actor's practices (or of one of them, ``practice_id``) eligible
    for an intervention not offered to them now, one page of it.

    Left out: a referral to that intervention that is still running, or that ended (declined,
    stopped, completed) less than ``REOFFER_AFTER_DAYS`` ago. Eligibility is read from the
    maintained table (``leefstijl.eligibility``; patients it does not cover are evaluated live
    with the criteria compiled to SQL); the exclusions, the order and the page are SQL; only
    the shown page is evaluated in Python for its explanation, and only its patients are
    audited.
    """
    from zelfzorg.leefstijl.criteria.sql import compile_criteria, facts_query

    _require_professional(actor)
    if practice_id is not None and practice_id not in actor.practice_ids:
        raise ValidationError(N_("Kies een van uw praktijken."), field="practice")
    practice_ids = [practice_id] if practice_id is not None else sorted(actor.practice_ids)
    # All of a professional's practices belong to one care group (memberships admin): the
    # catalogue of the first practice's group, read with the practice in one statement.
    interventions = (
        list(
            session.exec(
                _active_catalogue()
                .join(Practice, col(Practice.care_group_id) == Intervention.care_group_id)
                .where(Practice.id == practice_ids[0])
            )
        )
        if practice_ids
        else []
    )
    opportunities: list[Opportunity] = []
    total = 0
    page = max(1, page)
    if interventions:
        from zelfzorg.leefstijl import eligibility

        # The practices' population first, then its rows (a MATERIALIZED CTE joined by key):
        # as an IN, PostgreSQL walked every patient of the care group in name order to fill
        # the page and checked the practice last (0.4 s at 50,000 patients).
        population = (
            select(population_subquery(today, practice_ids=practice_ids).c.patient_id)
            .cte("practice_population")
            .prefix_with("MATERIALIZED")
        )
        ids = select(population.c.patient_id)
        by_position = {i.id: position for position, i in enumerate(interventions)}
        # The maintained table answers for the population it covers; whoever it does not
        # (a row outside its window, or none yet) is evaluated live, as before.
        live = eligibility.uncovered_patients(session, ids, list(by_position), today)
        row = Eligibility
        stored = (
            select(
                col(row.patient_id).label("id"),
                col(row.intervention_id).label("intervention_id"),
                sa.case(by_position, value=row.intervention_id).label("position"),
                col(Patient.family_name),
                col(Patient.given_name),
            )
            .join(population, population.c.patient_id == row.patient_id)
            .join(Patient, col(Patient.id) == row.patient_id)
            .where(col(row.intervention_id).in_(list(by_position)))
            .where(row.outcome == eligibility.ELIGIBLE, eligibility.valid_on(today))
            .where(_not_blocked(row.patient_id, row.intervention_id, today))
        )
        if live:
            stored = stored.where(col(row.patient_id).not_in(live))
        parts = [stored]
        if live:
            # One facts join for every intervention (built once), one UNION part each.
            trees = [parsed(i) for i in interventions]
            stmt, facts = facts_query(
                trees,
                select(col(Patient.id)).where(col(Patient.id).in_(live)),
                today,
                zone=AMSTERDAM,
                max_age_days=MAX_MEASUREMENT_AGE_DAYS,
                smoking_code=SMOKING_CODE,
            )
            for position, (intervention, tree) in enumerate(zip(interventions, trees, strict=True)):
                parts.append(
                    stmt.add_columns(
                        sa.literal(intervention.id).label("intervention_id"),
                        sa.literal(position).label("position"),
                        col(Patient.family_name),
                        col(Patient.given_name),
                    )
                    .where(compile_criteria(tree, facts)[0])
                    .where(_not_blocked(Patient.id, intervention.id, today))
                )
        pairs = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery("pairs")
        # One pass: the page and the total (a window count) together. The names come with
        # each pair (joined by key inside each part), so nothing joins the whole list again.
        order = ("family_name", "given_name", "id", "position")
        shown_page = (
            select(pairs, sa.func.count().over().label("total"))
            .order_by(*[pairs.c[name] for name in order])
            .limit(per_page)
            .offset((page - 1) * per_page)
            .subquery("shown_page")
        )
        # The page's patients and their programmes come with it (joined to the page only).
        rows = session.execute(
            select(
                Patient,
                shown_page.c.intervention_id,
                shown_page.c.total,
                programmes_column(Patient.id, today),
            )
            .join(Patient, col(Patient.id) == shown_page.c.id)
            .order_by(*[shown_page.c[name] for name in order])
        ).all()
        shown = [(patient.id, intervention_id) for patient, intervention_id, _, _ in rows]
        if rows:
            total = rows[0].total
        elif page > 1:  # past the end: the total still tells how many pages there are
            total = session.exec(select(sa.func.count()).select_from(pairs)).one()
        patients = {patient.id: patient for patient, *_ in rows}
        patient_ids = list(patients)
        facts_by_patient = load_facts(
            session,
            list(patients.values()),
            patient_ids,
            measurement_codes(interventions),
            today,
            programmes={patient.id: parse_programmes(text) for patient, _, _, text in rows},
        )
        previous = _previous_referrals(session, patient_ids, today)
        by_id = {i.id: i for i in interventions}
        for pid, intervention_id in shown:
            intervention = by_id[intervention_id]
            evaluation = evaluate(parsed(intervention), facts_by_patient[pid], lang)
            opportunities.append(
                Opportunity(
                    patients[pid], intervention, evaluation, previous.get((pid, intervention_id))
                )
            )
    audit(
        session,
        actor,
        action=AuditAction.search,
        object_type="LifestyleEligibility",
        detail=f"eligible not offered: {total}",
    )
    audit_shown(
        session, actor, [o.patient.id for o in opportunities], object_type="LifestyleOpportunities"
    )
    return OpportunityPage(opportunities, total=total, page=page, per_page=per_page)


# --- referrals --------------------------------------------------------------------------------
E_NOT_IN_CATALOGUE = N_("Kies een interventie uit het actuele aanbod van uw zorggroep.")
E_ALREADY_OPEN = N_(
    "Er loopt al een verwijzing naar deze interventie. Werk die bij in plaats van een nieuwe "
    "te maken."
)
E_REFERRAL_CONFLICT = N_(
    "Deze verwijzing is intussen door iemand anders bijgewerkt. Er is niets veranderd. "
    "Bekijk de nieuwe status en kies zo nodig opnieuw."
)
E_NOTE_LONG = N_("De toelichting mag hoogstens 1000 tekens hebben.")
E_NO_REFERRAL = N_("Deze verwijzing bestaat niet.")


def _note(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > 1000:
        raise ValidationError(E_NOTE_LONG, field="note")
    return text


def create_referral(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    intervention_id: int | None,
    now: datetime,
    goal_id: int | None = None,
    note: str = "",
) -> Referral:
    """Propose an intervention to a patient (status 'voorgesteld')."""
    _require_professional(actor)
    rs.check_transition(None, rs.PROPOSED, actor_role(actor))
    text = _note(note)
    patient = get_patient_for(
        session,
        actor,
        patient_id,
        write=True,
        action=AuditAction.create,
        object_type="LifestyleReferral",
    )
    intervention = session.get(Intervention, intervention_id) if intervention_id else None
    if (
        intervention is None
        or not intervention.active
        or intervention.care_group_id != care_group_of_practice(session, patient.practice_id)
    ):
        raise ValidationError(E_NOT_IN_CATALOGUE, field="intervention_id")
    if goal_id is not None:
        # Only a goal in this patient's own care plan; never reveal another patient's goal.
        try:
            load_child_for(session, actor, Goal, goal_id, patient_id=patient.id)  # type: ignore[arg-type]
        except NotFound:
            raise ValidationError(
                N_("Kies een doel uit het zorgplan van deze patiënt."), field="goal_id"
            ) from None
    open_referral = session.exec(
        select(Referral.id)
        .where(Referral.patient_id == patient.id)
        .where(Referral.intervention_id == intervention.id)
        .where(col(Referral.state).not_in(rs.FINAL_STATES))
    ).first()
    if open_referral is not None:
        raise ValidationError(E_ALREADY_OPEN, field="intervention_id")
    day = local_day(now)
    referral = Referral(
        patient_id=patient.id,  # type: ignore[arg-type]
        intervention_id=intervention.id,  # type: ignore[arg-type]
        state=rs.PROPOSED,
        state_since=day,
        goal_id=goal_id,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    session.add(
        ReferralEvent(
            referral_id=referral.id,  # type: ignore[arg-type]
            from_state=None,
            to_state=rs.PROPOSED,
            at=now,
            on_date=day,
            actor_id=actor.user_id,
            actor_role=actor_role(actor),
            note=text,
        )
    )
    session.flush()
    return referral


def get_referral(
    session: Session,
    actor: Actor,
    referral_id: int,
    *,
    patient_id: int | None = None,
    write: bool = False,
) -> Referral:
    """Load a referral through the access layer (which writes the audit entry); with
    ``patient_id`` (from the URL) a referral of another patient is not found."""
    if patient_id is not None:
        return load_child_for(
            session, actor, Referral, referral_id, patient_id=patient_id, write=write
        )
    return load_for(session, actor, Referral, referral_id, write=write)


def transition_referral(
    session: Session,
    actor: Actor,
    referral_id: int,
    *,
    to_state: str,
    now: datetime,
    version: int | None = None,
    note: str = "",
    outcome: Mapping[str, object] | None = None,
) -> Referral:
    """Move a referral to ``to_state`` with a dated event; refuses invalid or stale steps.

    ``version`` is the version the actor saw; a newer one raises ``Conflict`` and changes
    nothing. The outcome is required (and validated) when the referral is completed.
    """
    referral = get_referral(session, actor, referral_id, write=True)
    if version is not None and version != referral.version:
        raise Conflict(E_REFERRAL_CONFLICT, current=referral)
    rs.check_transition(referral.state, to_state, actor_role(actor))
    text = _note(note)
    values: dict[str, object] = {}
    if to_state == rs.COMPLETED:
        intervention = session.get(Intervention, referral.intervention_id)
        assert intervention is not None
        values["outcome"] = rs.validate_outcome(intervention.kind, outcome or {})
    day = local_day(now)
    expected, from_state = referral.version, referral.state
    result = session.execute(
        sa.update(Referral)
        .where(col(Referral.id) == referral.id, col(Referral.version) == expected)
        .values(state=to_state, state_since=day, updated_at=now, version=expected + 1, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(referral)
    if result.rowcount != 1:
        raise Conflict(E_REFERRAL_CONFLICT, current=referral)
    session.add(
        ReferralEvent(
            referral_id=referral.id,  # type: ignore[arg-type]
            from_state=from_state,
            to_state=to_state,
            at=now,
            on_date=day,
            actor_id=actor.user_id,
            actor_role=actor_role(actor),
            note=text,
        )
    )
    session.flush()
    return referral


@dataclass(frozen=True)
class ReferralView:
    referral: Referral
    intervention: Intervention
    events: list[ReferralEvent]
    # Title of the care-plan goal the referral serves (the patient's own words), if any.
    goal_title: str | None = None

    def allowed(self, role: str) -> tuple[str, ...]:
        return rs.allowed_transitions(self.referral.state, role)


def _referral_views(session: Session, patient_id: int, states: Iterable[str] | None = None):
    stmt = (
        select(Referral, Intervention, Goal.title)
        .join(Intervention, col(Intervention.id) == Referral.intervention_id)
        .outerjoin(Goal, col(Goal.id) == Referral.goal_id)
        .where(Referral.patient_id == patient_id)
        .order_by(col(Referral.created_at).desc(), col(Referral.id).desc())
    )
    if states is not None:
        stmt = stmt.where(col(Referral.state).in_(list(states)))
    rows = session.exec(stmt).all()
    ids = [r.id for r, _i, _g in rows]
    events: dict[int, list[ReferralEvent]] = defaultdict(list)
    if ids:
        for event in session.exec(
            select(ReferralEvent)
            .where(col(ReferralEvent.referral_id).in_(ids))
            .order_by(ReferralEvent.at, ReferralEvent.id)
        ):
            events[event.referral_id].append(event)
    return [ReferralView(r, i, events[r.id], g) for r, i, g in rows]  # type: ignore[index]


@dataclass(frozen=True)
class PatientLifestyle:
    patient: Patient
    eligibility: list[EligibilityRow]
    referrals: list[ReferralView]


def patient_lifestyle(
    session: Session, actor: Actor, patient_id: int, today: date, *, lang: str = "nl"
) -> PatientLifestyle:
    """The professional's view: eligibility with explanations and every referral."""
    rows = eligibility_for(session, actor, patient_id, today, lang=lang)
    patient = session.get(Patient, patient_id)
    assert patient is not None
    return PatientLifestyle(patient, rows, _referral_views(session, patient_id))


# A patient sees offers and what followed; a mere proposal is the professional's draft.
PATIENT_VISIBLE = tuple(s for s in rs.STATES if s != rs.PROPOSED)


def my_referrals(session: Session, actor: Actor) -> list[ReferralView]:
    if not actor.is_patient or actor.user.patient_id is None:
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    patient = get_patient_for(
        session, actor, actor.user.patient_id, object_type="LifestyleReferral"
    )
    return _referral_views(session, patient.id, PATIENT_VISIBLE)  # type: ignore[arg-type]
