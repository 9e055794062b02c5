"""The access layer (zelfzorg.accounts.scope): load_for and load_child_for for every declared
model, care_group_scope, and the declaration every patient-owned model must carry."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, SQLModel, func, select

from tests.factories import World, make_care_group, make_practice
from tests.leefstijl.helpers import make_intervention
from zelfzorg.accounts.models import ActivationCode
from zelfzorg.accounts.scope import (
    CareGroupScope,
    care_group_scope,
    load_child_for,
    load_for,
    patient_id_of,
    patient_record_of,
)
from zelfzorg.assessment.models import AssessmentResponse, ResponseStatus
from zelfzorg.assessment.versions import current_version, sync_builtins
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.contracting.models import GoalStatusHistory, PatientActivityDay
from zelfzorg.errors import Forbidden, NotFound
from zelfzorg.fhir.models import FhirImportKey
from zelfzorg.izp.models import (
    ActionLog,
    CarePlan,
    Goal,
    GoalAction,
    GoalReview,
    PlanAgreement,
    Proposer,
    Revision,
)
from zelfzorg.leefstijl.models import EligibilityQueue, Referral, ReferralEvent
from zelfzorg.models_base import PatientRecord
from zelfzorg.outcomes.models import CohortGoal, CohortMember, CohortValue
from zelfzorg.patients.models import (
    CareTeamMember,
    Condition,
    Enrolment,
    Patient,
    PracticePeriod,
    Programme,
)
from zelfzorg.privacy.models import ErasureRequest, ErasureStatus
from zelfzorg.telemonitoring.models import (
    Alert,
    AlertStatus,
    DeviceToken,
    Measurement,
    MeasurementSource,
    PersonalTarget,
    TargetOrigin,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 30)

# Tables with a patient_id that are not records of the patient's care: the audit log itself,
# the user account (reached through login, not by id), and a user's own notifications.
# lifestyle_eligibility and measurement_latest: derived rows (recomputed, or kept by triggers;
# erased with the patient), never loaded by id.
NOT_PATIENT_RECORDS = {
    "audit_entry", "user_account", "notification", "lifestyle_eligibility", "measurement_latest",
}  # fmt: skip


def _records(db: Session, world: World, patient: Patient) -> dict[type, SQLModel]:
    """One record of every patient-owned model, belonging to ``patient``."""
    made: dict[type, SQLModel] = {}

    def add(obj: SQLModel) -> SQLModel:
        db.add(obj)
        db.flush()
        made[type(obj)] = obj
        return obj

    pid = patient.id
    plan = add(CarePlan(patient_id=pid))
    goal = add(
        Goal(
            plan_id=plan.id, patient_id=pid, title="Wandelen", domain="health",
            proposed_by=Proposer.professional,
        )
    )  # fmt: skip
    add(PlanAgreement(plan_id=plan.id, patient_id=pid, what="Lab bespreken"))
    action = add(GoalAction(goal_id=goal.id, patient_id=pid, what="Elke dag"))
    add(
        ActionLog(
            action_id=action.id, goal_id=goal.id, patient_id=pid, done_on=DAY,
            client_token=uuid.uuid4().hex,
        )
    )  # fmt: skip
    add(GoalReview(goal_id=goal.id, patient_id=pid, progress={}))
    add(Revision(plan_id=plan.id, patient_id=pid, object_type="Goal", object_id=goal.id))
    intervention = make_intervention(db, world.care_group.id)
    referral = add(
        Referral(patient_id=pid, intervention_id=intervention.id, state="proposed", state_since=DAY)
    )
    add(ReferralEvent(referral_id=referral.id, to_state="proposed", on_date=DAY, actor_role="poh"))
    add(Condition(patient_id=pid, code="T90.02", name="Diabetes mellitus type 2"))
    add(Enrolment(patient_id=pid, programme=Programme.COPD, start_date=DAY))
    add(CareTeamMember(patient_id=pid, user_id=world.poh.id, role="member"))
    add(
        GoalStatusHistory(
            goal_id=goal.id, patient_id=pid, status="active", valid_from=DAY
        )
    )  # fmt: skip
    add(PatientActivityDay(patient_id=pid, day=DAY, logged_in=True))
    # Every patient has a practice period from the start (practice_history.open_first_period).
    made[PracticePeriod] = db.exec(
        select(PracticePeriod).where(PracticePeriod.patient_id == pid)
    ).one()
    measurement = add(
        Measurement(
            patient_id=pid, type_code="weight", value=80.0, unit="kg", measured_at=NOW,
            source=MeasurementSource.professional,
        )
    )  # fmt: skip
    add(
        PersonalTarget(
            patient_id=pid, type_code="weight", comparator="<", high=90.0, unit="kg",
            set_at=NOW, source=TargetOrigin.poh,
        )
    )  # fmt: skip
    add(
        Alert(
            patient_id=pid, measurement_id=measurement.id, rule_code="urgent",
            type_code="weight", dedup_key=uuid.uuid4().hex, severity="urgent",
            status=AlertStatus.open, first_at=NOW, last_at=NOW, message="x", params={},
        )
    )  # fmt: skip
    add(DeviceToken(patient_id=pid, token_hash=uuid.uuid4().hex * 2, label="Meter"))
    add(
        ActivationCode(
            patient_id=pid, code_hash=uuid.uuid4().hex * 2, created_by_id=world.poh.id,
            expires_at=NOW + timedelta(weeks=6),
        )
    )  # fmt: skip
    add(
        ErasureRequest(
            patient_id=pid, practice_id=patient.practice_id, status=ErasureStatus.requested,
            reason="x", requested_by_id=world.poh.id, requested_by_role="professional",
        )
    )  # fmt: skip
    sync_builtins(db)
    version = current_version(db, "activation", None)
    add(
        AssessmentResponse(
            patient_id=pid, instrument_version_id=version.id, instrument_code="activation",
            instrument_version=version.version, status=ResponseStatus.in_progress,
            answers={}, filled_by_role="patient", started_at=NOW,
        )
    )  # fmt: skip
    add(FhirImportKey(resource_type="Goal", patient_id=pid, key="k" * 64, record_id=goal.id))
    add(EligibilityQueue(patient_id=pid))
    cohort = {
        "care_group_id": world.care_group.id, "day": NOW.date(), "programme": "DM2",
        "sex": str(patient.sex), "date_of_birth": patient.date_of_birth, "patient_id": pid,
    }  # fmt: skip
    add(CohortMember(**cohort))
    add(CohortValue(**cohort, source="measurement", reads="hba1c", value=50.0))
    add(CohortGoal(**cohort, type_code="bp_systolic", direction="lower", reached=1))
    return made


def patient_owned_models() -> dict[str, type]:
    """Table name -> model for every table that belongs to a patient: a patient_id column,
    or a foreign key to a table that does."""
    models = {m.class_.__table__.name: m.class_ for m in SQLModel._sa_registry.mappers}
    owned: dict[str, type] = {}
    changed = True
    while changed:
        changed = False
        for name, table in SQLModel.metadata.tables.items():
            if name in owned or name in NOT_PATIENT_RECORDS:
                continue
            parents = {fk.column.table.name for fk in table.foreign_keys}
            if "patient_id" in table.c or parents & set(owned) - {"patient"}:
                owned[name] = models[name]
                changed = True
    return owned


def entries_since(db: Session, last: int) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id)))


def last_entry_id(db: Session) -> int:
    return db.exec(select(func.max(AuditEntry.id))).one() or 0


# --- the declaration ---------------------------------------------------------------------------


def test_every_patient_owned_model_declares_how_to_reach_its_patient(app):
    owned = patient_owned_models()
    assert {"goal", "measurement", "lifestyle_referral_event", "enrolment"} <= set(owned)
    undeclared = sorted(
        name
        for name, model in owned.items()
        if not isinstance(getattr(model, "patient_record", None), PatientRecord)
    )
    assert not undeclared, f"declare patient_record on these models: {undeclared}"
    for name, model in owned.items():
        declaration = patient_record_of(model)
        if "patient_id" not in model.__table__.c:
            assert declaration.via is not None, f"{name} has no patient_id: declare via="


def test_the_loader_tests_cover_every_declared_model(app, db, world):
    assert set(_records(db, world, world.patient)) == set(patient_owned_models().values())


def test_a_model_without_a_declaration_is_refused(db, world):
    with pytest.raises(TypeError):
        load_for(db, world.actor(world.poh), Patient, world.patient.id)


# --- load_for, for every declared model ---------------------------------------------------------


MODELS = [
    ActionLog, ActivationCode, Alert, AssessmentResponse, CarePlan, CareTeamMember, Condition,
    DeviceToken, Enrolment, ErasureRequest, Goal, GoalAction, GoalReview, GoalStatusHistory,
    Measurement, PatientActivityDay, PersonalTarget,
    PlanAgreement, PracticePeriod, Referral, ReferralEvent, Revision,
]  # fmt: skip


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_load_for_allows_own_denies_other_practice_and_missing_and_audits_the_real_patient(
    db, world, model
):
    own = _records(db, world, world.patient)[model]
    far = _records(db, world, world.far_patient)[model]
    actor = world.actor(world.poh)
    object_type = patient_record_of(model).object_type

    last = last_entry_id(db)
    assert load_for(db, actor, model, own.id) is own
    [entry] = entries_since(db, last)
    assert (entry.outcome, entry.patient_id, entry.object_type, entry.object_id) == (
        AuditOutcome.allowed,
        world.patient.id,
        object_type,
        str(own.id),
    )

    last = last_entry_id(db)
    with pytest.raises(NotFound):
        load_for(db, actor, model, far.id, write=True)
    [entry] = entries_since(db, last)
    assert (entry.outcome, entry.patient_id, entry.action, entry.object_id) == (
        AuditOutcome.denied,
        world.far_patient.id,
        "update",
        str(far.id),
    )

    last = last_entry_id(db)
    with pytest.raises(NotFound):
        load_for(db, actor, model, 987654)
    [entry] = entries_since(db, last)
    assert (entry.outcome, entry.patient_id, entry.object_id, entry.detail) == (
        AuditOutcome.denied,
        None,
        "987654",
        "not found",
    )


def test_patient_reaches_only_own_records(db, world):
    own = _records(db, world, world.patient)[Goal]
    other = _records(db, world, world.other_patient)[Goal]
    actor = world.actor(world.patient_user)
    assert load_for(db, actor, Goal, own.id) is own
    with pytest.raises(NotFound):
        load_for(db, actor, Goal, other.id)


def test_a_record_reached_through_its_parent_names_the_parents_patient(db, world):
    event = _records(db, world, world.far_patient)[ReferralEvent]
    assert patient_id_of(db, event) == world.far_patient.id


# --- load_child_for -------------------------------------------------------------------------------


def test_child_of_another_patient_is_not_found_and_audited_against_its_real_patient(db, world):
    enrolment = _records(db, world, world.patient)[Enrolment]
    actor = world.actor(world.poh)  # may reach both patients of the practice
    last = last_entry_id(db)
    with pytest.raises(NotFound):
        load_child_for(
            db, actor, Enrolment, enrolment.id, patient_id=world.other_patient.id, write=True
        )
    [entry] = entries_since(db, last)
    assert (entry.outcome, entry.patient_id, entry.object_id) == (
        AuditOutcome.denied,
        world.patient.id,
        str(enrolment.id),
    )
    last = last_entry_id(db)
    assert (
        load_child_for(db, actor, Enrolment, enrolment.id, patient_id=world.patient.id) is enrolment
    )
    [entry] = entries_since(db, last)
    assert (entry.outcome, entry.patient_id) == (AuditOutcome.allowed, world.patient.id)


def test_child_of_a_patient_out_of_scope_is_not_found_and_audited(db, world):
    token = _records(db, world, world.far_patient)[DeviceToken]
    last = last_entry_id(db)
    with pytest.raises(NotFound):
        load_child_for(
            db, world.actor(world.poh), DeviceToken, token.id, patient_id=world.far_patient.id
        )
    [entry] = entries_since(db, last)
    assert (entry.outcome, entry.patient_id) == (AuditOutcome.denied, world.far_patient.id)


# --- care_group_scope --------------------------------------------------------------------------


def _scope(db, world, user, care_group_id=None) -> CareGroupScope:
    return care_group_scope(db, world.actor(user), care_group_id)


def test_care_group_staff_aggregate_over_their_own_care_groups_practices(db, world):
    elsewhere = make_practice(db, make_care_group(db), "Elders")
    last = last_entry_id(db)
    scope = _scope(db, world, world.caregroup_user)
    assert scope == CareGroupScope(
        world.care_group.id, tuple(sorted((world.practice.id, world.other_practice.id)))
    )
    assert elsewhere.id not in scope.practice_ids
    [entry] = entries_since(db, last)
    assert (entry.outcome, entry.patient_id, entry.object_id) == (
        AuditOutcome.allowed,
        None,
        str(world.care_group.id),
    )


def test_another_care_group_is_forbidden_and_audited(db, world):
    other_group = make_care_group(db)
    last = last_entry_id(db)
    with pytest.raises(Forbidden):
        _scope(db, world, world.caregroup_user, other_group.id)
    [entry] = entries_since(db, last)
    assert (entry.outcome, entry.object_id) == (AuditOutcome.denied, str(other_group.id))


def test_professional_aggregates_over_their_own_practice_only(db, world):
    assert _scope(db, world, world.poh).practice_ids == (world.practice.id,)
    assert _scope(db, world, world.other_poh).practice_ids == (world.other_practice.id,)


def test_admin_may_pick_any_care_group_and_a_missing_one_is_not_found(db, world):
    other_group = make_care_group(db)
    practice = make_practice(db, other_group, "Elders")
    assert _scope(db, world, world.admin, other_group.id).practice_ids == (practice.id,)
    assert set(_scope(db, world, world.admin).practice_ids) >= {practice.id, world.practice.id}
    with pytest.raises(NotFound):
        _scope(db, world, world.admin, 987654)


def test_patients_and_inactive_accounts_get_no_aggregate(db, world):
    with pytest.raises(Forbidden):
        _scope(db, world, world.patient_user)
    world.caregroup_user.is_active = False
    with pytest.raises(Forbidden):
        _scope(db, world, world.caregroup_user)
