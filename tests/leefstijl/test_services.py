"""Lifestyle services: catalogue, eligibility, referrals, worklist and indicator data."""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests.factories import make_patient
from tests.leefstijl.helpers import (
    GLI_CRITERIA,
    NOW,
    PATH,
    TODAY,
    add_activation,
    add_measurement,
    make_intervention,
    make_referral,
)
from zelfzorg.errors import Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.izp import goals
from zelfzorg.leefstijl import indicators, services
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.models import Intervention, Referral, ReferralEvent
from zelfzorg.leefstijl.worklist_sources import referral_waiting
from zelfzorg.patients.models import Programme, Sex


@contextmanager
def count_queries(engine):
    statements: list[str] = []

    def _count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):  # a CTE query reads too
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def _input(world, **changes) -> services.InterventionInput:
    values = {
        "care_group_id": world.care_group.id,
        "name": "SLIMMER",
        "kind": "gli",
        "provider": "GGD",
        "programmes": ["CVRM", "DM2"],
        "description_nl": "Samen gezonder eten en bewegen.",
        "criteria_text": '{"all": [{"programme_in": ["DM2"]}, '
        '{"measurement": "bmi", "op": ">=", "value": 25}]}',
    }
    values.update(changes)
    return services.InterventionInput(**values)


# --- catalogue ----------------------------------------------------------------------------------
def test_admin_creates_intervention_with_normalised_criteria(db, world):
    intervention = services.create_intervention(
        db, world.actor(world.admin), _input(world), now=NOW
    )
    assert intervention.criteria == GLI_CRITERIA | {
        "all": [{"programme_in": ["DM2"]}, {"measurement": "bmi", "op": ">=", "value": 25}]
    }
    assert intervention.programmes == ["DM2", "CVRM"]
    assert intervention.version == 1


@pytest.mark.parametrize(
    ("text", "message_part"),
    [
        ("", "Vul de voorwaarden in"),
        ('{"all": [', "geen geldige JSON: fout in regel 1"),
        ('{"all": [{"measurement": "bmi", "op": "=>", "value": 25}]}', "criteria.all[0].op"),
        ('{"smoking": "soms"}', "criteria.smoking"),
    ],
)
def test_invalid_criteria_are_refused_with_a_message_naming_the_place(
    db, world, text, message_part
):
    with pytest.raises(ValidationError) as caught:
        services.create_intervention(
            db, world.actor(world.admin), _input(world, criteria_text=text), now=NOW
        )
    assert message_part in str(caught.value)
    assert caught.value.field.startswith("criteria")
    assert db.exec(select(Intervention)).all() == []


def test_invalid_criteria_cannot_be_saved_by_any_path(db, world):
    db.add(
        Intervention(care_group_id=world.care_group.id, name="x", kind="gli", criteria={"bmi": 25})
    )
    with pytest.raises(ValidationError):
        db.flush()
    db.rollback()


@pytest.mark.parametrize("persona", ["poh", "patient_user"])
def test_only_admins_and_care_group_staff_change_the_catalogue(db, world, persona):
    with pytest.raises(Forbidden):
        services.create_intervention(
            db, world.actor(getattr(world, persona)), _input(world), now=NOW
        )
    assert db.exec(select(Intervention)).all() == []


def test_care_group_staff_keep_their_own_catalogue(db, world):
    from tests.factories import make_care_group
    from zelfzorg.audit.models import AuditEntry

    staff = world.actor(world.caregroup_user)
    mine = services.create_intervention(db, staff, _input(world), now=NOW)
    assert (mine.care_group_id, mine.updated_by_id) == (world.care_group.id, staff.user_id)
    services.update_intervention(
        db, staff, mine.id, _input(world, name="CooL Delft"), version=1, now=NOW
    )
    assert (mine.name, mine.version) == ("CooL Delft", 2)
    entries = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "LifestyleIntervention", AuditEntry.user_id == staff.user_id
        )
    ).all()
    assert [str(e.action) for e in entries] == ["create", "update"]

    other_group = make_care_group(db)
    # Not in another group's catalogue, nor by moving an entry there.
    with pytest.raises(ValidationError) as caught:
        services.create_intervention(
            db, staff, _input(world, care_group_id=other_group.id), now=NOW
        )
    assert caught.value.field == "care_group_id"
    with pytest.raises(ValidationError):
        services.update_intervention(
            db, staff, mine.id, _input(world, care_group_id=other_group.id), version=2, now=NOW
        )
    theirs = make_intervention(db, other_group.id, name="Elsewhere")
    with pytest.raises(NotFound):
        services.update_intervention(
            db, staff, theirs.id, _input(world, name="Mine now"), version=1, now=NOW
        )
    db.expire_all()
    assert db.get(Intervention, theirs.id).name == "Elsewhere"
    assert db.get(Intervention, mine.id).care_group_id == world.care_group.id


def test_care_group_staff_get_the_criteria_checked_and_edits_locked(db, world):
    staff = world.actor(world.caregroup_user)
    with pytest.raises(ValidationError) as caught:
        services.create_intervention(db, staff, _input(world, criteria_text='{"bmi": 25}'), now=NOW)
    assert caught.value.field.startswith("criteria")
    mine = services.create_intervention(db, staff, _input(world), now=NOW)
    services.update_intervention(db, staff, mine.id, _input(world, name="A"), version=1, now=NOW)
    with pytest.raises(Conflict):
        services.update_intervention(
            db, staff, mine.id, _input(world, name="B"), version=1, now=NOW
        )
    db.expire_all()
    assert db.get(Intervention, mine.id).name == "A"


def test_stale_catalogue_edit_is_refused_and_changes_nothing(db, world):
    admin = world.actor(world.admin)
    intervention = services.create_intervention(db, admin, _input(world), now=NOW)
    services.update_intervention(
        db, admin, intervention.id, _input(world, name="SLIMMER 2"), version=1, now=NOW
    )
    with pytest.raises(Conflict) as caught:
        services.update_intervention(
            db, admin, intervention.id, _input(world, name="Other"), version=1, now=NOW
        )
    assert caught.value.current.name == "SLIMMER 2"
    assert caught.value.current.version == 2
    db.expire_all()
    assert db.get(Intervention, intervention.id).name == "SLIMMER 2"


def test_catalogue_is_read_per_care_group(db, world):
    from tests.factories import make_care_group

    other_group = make_care_group(db)
    mine = make_intervention(db, world.care_group.id, name="CooL")
    make_intervention(db, other_group.id, name="Elsewhere")
    make_intervention(db, world.care_group.id, name="Old", active=False)
    assert services.list_catalogue(db, world.actor(world.poh)) == [mine]
    assert services.list_catalogue(db, world.actor(world.caregroup_user)) == [mine]
    assert len(services.list_catalogue(db, world.actor(world.admin), include_inactive=True)) == 3
    with pytest.raises(Forbidden):
        services.list_catalogue(db, world.actor(world.patient_user))


# --- eligibility --------------------------------------------------------------------------------
def _row(rows, name):
    return next(r for r in rows if r.intervention.name == name)


def test_eligible_patient_gets_a_dutch_explanation(db, world):
    make_intervention(db, world.care_group.id)
    add_measurement(db, world.patient.id, "bmi", 27.4, at=NOW - timedelta(days=20))
    rows = services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY)
    row = _row(rows, "CooL")
    assert row.evaluation.outcome == "eligible"
    texts = [line.text for line in row.evaluation.lines]
    assert "Zorgprogramma's DM2, CVRM: voldoet" in texts
    assert "BMI 27,4 (10-11-2026): voldoet" in texts
    assert row.criteria_text == "DM2 of CVRM en BMI 25 of hoger"


def test_missing_measurement_gives_unknown_and_names_the_missing_data(db, world):
    make_intervention(db, world.care_group.id)
    row = services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY)[0]
    assert row.evaluation.outcome == "unknown"
    assert [m.text for m in row.evaluation.missing] == ["BMI (geen meting)"]


def test_superseded_and_stale_measurements_do_not_count(db, world):
    make_intervention(db, world.care_group.id)
    add_measurement(db, world.patient.id, "bmi", 31, superseded=True)
    add_measurement(db, world.patient.id, "bmi", 29, at=NOW - timedelta(days=900))
    row = services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY)[0]
    assert row.evaluation.outcome == "unknown"
    assert row.evaluation.missing[0].stale is True


def test_latest_current_measurement_decides(db, world):
    make_intervention(db, world.care_group.id)
    add_measurement(db, world.patient.id, "bmi", 29, at=NOW - timedelta(days=90))
    add_measurement(db, world.patient.id, "bmi", 24, at=NOW - timedelta(days=10))
    row = services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY)[0]
    assert row.evaluation.outcome == "not_eligible"


def test_smoking_status_age_sex_and_activation_feed_the_criteria(db, world):
    criteria = {
        "all": [
            {"smoking": "current"},
            {"age_between": [18, 80]},
            {"measurement": "waist", "op": ">=", "value_by_sex": {"female": 88, "male": 102}},
            {"activation_level_in": [1, 2]},
        ]
    }
    make_intervention(
        db, world.care_group.id, name="Stoppen", kind="smoking_cessation", criteria=criteria
    )
    add_measurement(db, world.patient.id, "smoking_status", value_code="current", unit="")
    add_measurement(db, world.patient.id, "waist", 90, unit="cm")
    add_activation(db, world.patient.id, 3, at=NOW - timedelta(days=400))
    add_activation(db, world.patient.id, 2, at=NOW - timedelta(days=5))
    row = services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY)[0]
    assert row.evaluation.outcome == "eligible", [line.text for line in row.evaluation.lines]
    texts = [line.text for line in row.evaluation.lines]
    assert "Rookt: voldoet" in texts
    assert "Activatieniveau 2: voldoet" in texts
    assert any("vrouw" in t for t in texts)


def test_a_licensed_activation_instrument_counts_like_the_built_in_one(db, world):
    # A care group that loaded the official PAM-13 under its own code: still an activation level.
    make_intervention(
        db, world.care_group.id, name="Coaching", criteria={"activation_level_in": [1, 2]}
    )
    add_activation(db, world.patient.id, 1, at=NOW - timedelta(days=5), code="pam13-licensed")
    row = services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY)[0]
    assert row.evaluation.outcome == "eligible"
    # The indicator's SQL reads the same level.
    from zelfzorg.leefstijl.indicators import eligible_patient_ids

    assert eligible_patient_ids(db, world.care_group.id, TODAY) == {world.patient.id}


def test_inactive_interventions_and_other_care_groups_are_not_evaluated(db, world):
    from tests.factories import make_care_group

    make_intervention(db, world.care_group.id, name="Old", active=False)
    make_intervention(db, make_care_group(db).id, name="Elsewhere")
    assert services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY) == []


def test_eligibility_of_another_practice_is_not_found(db, world):
    with pytest.raises(NotFound):
        services.eligibility_for(db, world.actor(world.other_poh), world.patient.id, TODAY)


def test_eligibility_uses_a_constant_number_of_queries(db, world, engine):
    for n in range(3):
        make_intervention(db, world.care_group.id, name=f"I{n}")
    add_measurement(db, world.patient.id, "bmi", 30)
    db.commit()
    with count_queries(engine) as few:
        services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY)
    for n in range(5):
        make_intervention(db, world.care_group.id, name=f"J{n}")
        add_measurement(db, world.patient.id, "bmi", 30 + n)
    db.commit()
    with count_queries(engine) as more:
        services.eligibility_for(db, world.actor(world.poh), world.patient.id, TODAY)
    assert len(more) == len(few)


# --- practice list ------------------------------------------------------------------------------
def test_practice_list_shows_eligible_patients_not_yet_offered(db, world):
    cool = make_intervention(db, world.care_group.id)
    add_measurement(db, world.patient.id, "bmi", 28)
    kees = make_patient(db, world.practice, given="Kees", programmes=(Programme.DM2,))
    add_measurement(db, kees.id, "bmi", 33)
    add_measurement(db, world.other_patient.id, "bmi", 40)  # COPD only: not eligible
    add_measurement(db, world.far_patient.id, "bmi", 35)  # other practice
    make_referral(db, kees.id, cool, rs.DECLINED)
    items = services.practice_opportunities(db, world.actor(world.poh), TODAY)
    assert [(i.patient.id, i.intervention.id) for i in items] == [(world.patient.id, cool.id)]


@pytest.mark.parametrize(
    ("state", "ended_days_ago", "listed"),
    [
        (rs.DECLINED, 30, False),
        (rs.DECLINED, services.REOFFER_AFTER_DAYS, False),
        (rs.DECLINED, services.REOFFER_AFTER_DAYS + 1, True),
        (rs.STOPPED, 400, True),
        (rs.COMPLETED, 200, False),
        (rs.COMPLETED, 800, True),
        (rs.PROPOSED, 800, False),  # still running, however old
        (rs.OFFERED, 800, False),
        (rs.STARTED, 800, False),
    ],
)
def test_practice_list_offers_again_a_year_after_a_referral_ended(
    db, world, state, ended_days_ago, listed
):
    cool = make_intervention(db, world.care_group.id)
    walk = make_intervention(db, world.care_group.id, name="Wandelgroep")
    add_measurement(db, world.patient.id, "bmi", 28)
    ended = NOW - timedelta(days=ended_days_ago)
    steps = len(PATH[state])
    make_referral(db, world.patient.id, cool, state, start=ended - timedelta(days=7 * steps))
    items = services.practice_opportunities(db, world.actor(world.poh), TODAY)
    pairs = [(i.patient.id, i.intervention.id) for i in items]
    assert ((world.patient.id, cool.id) in pairs) is listed
    assert (world.patient.id, walk.id) in pairs  # never referred: always listed
    if listed:
        again = next(i for i in items if i.intervention.id == cool.id)
        assert (again.previous.state, again.previous.state_since) == (state, ended.date())


def test_practice_list_keeps_out_a_pair_with_a_new_referral_after_an_old_decline(db, world):
    cool = make_intervention(db, world.care_group.id)
    add_measurement(db, world.patient.id, "bmi", 28)
    make_referral(db, world.patient.id, cool, rs.DECLINED, start=NOW - timedelta(days=800))
    make_referral(db, world.patient.id, cool, rs.PROPOSED, start=NOW - timedelta(days=3))
    assert services.practice_opportunities(db, world.actor(world.poh), TODAY) == []


def test_practice_list_uses_a_constant_number_of_queries(db, world, engine):
    make_intervention(db, world.care_group.id)
    add_measurement(db, world.patient.id, "bmi", 28)
    db.commit()
    with count_queries(engine) as few:
        services.practice_opportunities(db, world.actor(world.poh), TODAY)
    for n in range(8):
        patient = make_patient(db, world.practice, given=f"P{n}", sex=Sex.female)
        add_measurement(db, patient.id, "bmi", 26 + n)
        add_activation(db, patient.id, 2)
    db.commit()
    with count_queries(engine) as more:
        items = services.practice_opportunities(db, world.actor(world.poh), TODAY)
    assert len(items) == 9
    assert len(more) == len(few)


def test_practice_list_is_paged_in_sql_and_audits_only_the_shown_page(db, world, engine):
    from zelfzorg.audit.models import AuditEntry

    make_intervention(db, world.care_group.id)
    for n in range(7):
        patient = make_patient(db, world.practice, given=f"P{n}", family=f"Achternaam {n}")
        add_measurement(db, patient.id, "bmi", 30)
    db.commit()
    actor = world.actor(world.poh)
    first = services.practice_opportunities(db, actor, TODAY, per_page=3)
    last = services.practice_opportunities(db, actor, TODAY, per_page=3, page=3)
    everything = services.practice_opportunities(db, actor, TODAY, per_page=100)
    assert (first.total, first.pages, len(first), len(last)) == (7, 3, 3, 1)
    names = [o.patient.family_name for o in everything]
    assert names == sorted(names) and [o.patient.family_name for o in first] == names[:3]
    assert [o.patient.id for o in last] == [everything[-1].patient.id]
    assert all(o.evaluation.eligible for o in everything)
    db.commit()
    shown = db.exec(
        select(AuditEntry.patient_id).where(AuditEntry.object_type == "LifestyleOpportunities")
    ).all()
    db.commit()
    assert len(shown) == 3 + 1 + 7  # one entry per patient on each shown page, no more


# --- referrals ----------------------------------------------------------------------------------
def _propose(db, world, intervention):
    return services.create_referral(
        db, world.actor(world.poh), world.patient.id, intervention_id=intervention.id, now=NOW
    )


def _events(db, referral):
    return db.exec(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.id)
    ).all()


def test_full_lifecycle_is_recorded_with_dates_and_actors(db, world):
    cool = make_intervention(db, world.care_group.id)
    referral = _propose(db, world, cool)
    poh, patient = world.actor(world.poh), world.actor(world.patient_user)
    steps = [
        (poh, rs.OFFERED, None),
        (patient, rs.ACCEPTED, None),
        (poh, rs.STARTED, None),
        (poh, rs.COMPLETED, {"weight_change_kg": -5.5, "patient_rating": 4}),
    ]
    for day, (actor, state, outcome) in enumerate(steps, start=1):
        services.transition_referral(
            db,
            actor,
            referral.id,
            to_state=state,
            outcome=outcome,
            now=NOW + timedelta(days=day),
        )
    assert referral.state == rs.COMPLETED
    assert referral.version == 5
    assert referral.outcome == {"weight_change_kg": -5.5, "patient_rating": 4}
    events = _events(db, referral)
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "proposed"),
        ("proposed", "offered"),
        ("offered", "accepted"),
        ("accepted", "started"),
        ("started", "completed"),
    ]
    assert [e.actor_role for e in events] == [
        "professional",
        "professional",
        "patient",
        "professional",
        "professional",
    ]
    assert events[2].actor_id == world.patient_user.id
    assert events[4].on_date == date(2026, 12, 4)


@pytest.mark.parametrize(
    ("state", "to_state"),
    [
        (rs.PROPOSED, rs.ACCEPTED),
        (rs.OFFERED, rs.STARTED),
        (rs.ACCEPTED, rs.COMPLETED),
        (rs.STARTED, rs.DECLINED),
        (rs.COMPLETED, rs.STARTED),
        (rs.STOPPED, rs.OFFERED),
        (rs.DECLINED, rs.OFFERED),
    ],
)
def test_invalid_transition_is_refused_and_changes_nothing(db, world, state, to_state):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), state
    )
    before = len(_events(db, referral))
    with pytest.raises(ValidationError) as caught:
        services.transition_referral(
            db, world.actor(world.poh), referral.id, to_state=to_state, now=NOW
        )
    assert "kan" in str(caught.value)
    db.expire_all()
    assert db.get(Referral, referral.id).state == state
    assert len(_events(db, referral)) == before


def test_patient_may_only_answer_an_offer(db, world):
    cool = make_intervention(db, world.care_group.id)
    referral = make_referral(db, world.patient.id, cool, rs.ACCEPTED)
    with pytest.raises(Forbidden) as caught:
        services.transition_referral(
            db, world.actor(world.patient_user), referral.id, to_state=rs.STARTED, now=NOW
        )
    assert caught.value.field == "status"


def test_other_patient_cannot_answer_someone_elses_offer(db, world):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), rs.OFFERED
    )
    with pytest.raises(NotFound):
        services.transition_referral(
            db, world.actor(world.other_patient_user), referral.id, to_state=rs.ACCEPTED, now=NOW
        )


def test_unknown_referral_is_not_found(db, world):
    with pytest.raises(NotFound):
        services.transition_referral(db, world.actor(world.poh), 999, to_state=rs.OFFERED, now=NOW)


def test_second_of_two_simultaneous_transitions_gets_a_conflict(db, world):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), rs.OFFERED
    )
    seen = referral.version
    services.transition_referral(
        db,
        world.actor(world.patient_user),
        referral.id,
        to_state=rs.ACCEPTED,
        version=seen,
        now=NOW,
    )
    with pytest.raises(Conflict) as caught:
        services.transition_referral(
            db, world.actor(world.poh), referral.id, to_state=rs.DECLINED, version=seen, now=NOW
        )
    assert "intussen door iemand anders" in str(caught.value)
    assert db.get(Referral, referral.id).state == rs.ACCEPTED


def test_completion_requires_a_valid_outcome(db, world):
    referral = make_referral(
        db, world.patient.id, make_intervention(db, world.care_group.id), rs.STARTED
    )
    with pytest.raises(ValidationError) as caught:
        services.transition_referral(
            db,
            world.actor(world.poh),
            referral.id,
            to_state=rs.COMPLETED,
            outcome={"patient_rating": 4},
            now=NOW,
        )
    assert caught.value.field == "weight_change_kg"
    with pytest.raises(ValidationError):
        services.transition_referral(
            db,
            world.actor(world.poh),
            referral.id,
            to_state=rs.COMPLETED,
            outcome={"weight_change_kg": -3, "patient_rating": 9},
            now=NOW,
        )
    db.expire_all()
    assert db.get(Referral, referral.id).state == rs.STARTED


def test_referral_only_to_the_care_groups_active_catalogue(db, world):
    from tests.factories import make_care_group

    elsewhere = make_intervention(db, make_care_group(db).id)
    with pytest.raises(ValidationError) as caught:
        _propose(db, world, elsewhere)
    assert caught.value.field == "intervention_id"
    old = make_intervention(db, world.care_group.id, active=False)
    with pytest.raises(ValidationError):
        _propose(db, world, old)


def test_second_open_referral_to_the_same_intervention_is_refused(db, world):
    cool = make_intervention(db, world.care_group.id)
    _propose(db, world, cool)
    with pytest.raises(ValidationError):
        _propose(db, world, cool)


def test_referral_keeps_the_care_plan_goal(db, world):
    from tests.izp.helpers import active_goal

    goal = active_goal(
        db,
        world,
        title="Tien kilo lichter",
        target_type=None,
        target_comparator=None,
        target_value=None,
        target_unit=None,
    )
    cool = make_intervention(db, world.care_group.id)
    referral = services.create_referral(
        db,
        world.actor(world.poh),
        world.patient.id,
        intervention_id=cool.id,
        goal_id=goal.id,
        now=NOW,
    )
    assert referral.goal_id == goal.id


def test_referral_refuses_a_goal_of_another_patient(db, world):
    from tests.izp.helpers import goal_input

    theirs = goals.propose_goal(
        db, world.actor(world.poh), world.other_patient.id, goal_input(), today=NOW.date()
    )
    cool = make_intervention(db, world.care_group.id)
    with pytest.raises(ValidationError) as refused:
        services.create_referral(
            db,
            world.actor(world.poh),
            world.patient.id,
            intervention_id=cool.id,
            goal_id=theirs.id,
            now=NOW,
        )
    assert refused.value.field == "goal_id"
    assert db.exec(select(Referral)).all() == []


def test_patient_sees_offers_and_progress_but_not_proposals(db, world):
    cool = make_intervention(db, world.care_group.id)
    walk = make_intervention(db, world.care_group.id, name="Wandelgroep", kind="community")
    make_referral(db, world.patient.id, cool, rs.PROPOSED)
    make_referral(db, world.patient.id, walk, rs.OFFERED)
    views = services.my_referrals(db, world.actor(world.patient_user))
    assert [v.intervention.name for v in views] == ["Wandelgroep"]
    assert views[0].allowed(rs.PATIENT) == (rs.ACCEPTED, rs.DECLINED)


# --- worklist -----------------------------------------------------------------------------------
def test_worklist_lists_unanswered_offers_and_accepted_not_started(db, world):
    cool = make_intervention(db, world.care_group.id)
    walk = make_intervention(db, world.care_group.id, name="Wandelgroep", kind="community")
    beweeg = make_intervention(db, world.care_group.id, name="Beweegkuur", kind="exercise")
    make_referral(db, world.patient.id, cool, rs.OFFERED, start=NOW - timedelta(days=30))
    make_referral(db, world.other_patient.id, walk, rs.OFFERED, start=NOW - timedelta(days=9))
    make_referral(db, world.other_patient.id, beweeg, rs.ACCEPTED, start=NOW - timedelta(days=60))
    make_referral(db, world.far_patient.id, cool, rs.OFFERED, start=NOW - timedelta(days=60))
    items = referral_waiting(db, [world.practice.id], TODAY)
    assert sorted((i.patient_id, i.params["name"]) for i in items) == sorted(
        [(world.patient.id, "CooL"), (world.other_patient.id, "Beweegkuur")]
    )
    assert all(i.kind == "referral_waiting" for i in items)
    assert all(i.endpoint == "leefstijl.patient_overview" for i in items)


# --- indicator data -----------------------------------------------------------------------------
def test_l1_counts_conform_interventions_in_the_programmes(db, world):
    make_intervention(db, world.care_group.id, conform=True)
    make_intervention(db, world.care_group.id, name="B", conform=False)
    make_intervention(db, world.care_group.id, name="C", conform=True, programmes=())
    make_intervention(db, world.care_group.id, name="D", conform=True, active=False)
    assert indicators.l1_counts(db, world.care_group.id) == (1, 2)


def test_offered_in_period_matches_the_python_rule(db, world):
    rng = random.Random(7)
    cool = make_intervention(db, world.care_group.id)
    start, end = date(2026, 3, 1), date(2026, 6, 30)
    expected: dict[int, bool] = {}
    for _ in range(60):
        # A random walk through the lifecycle with random gaps around the period.
        history: list[tuple[str, date]] = []
        state, day = None, date(2026, 1, 1) + timedelta(days=rng.randint(0, 200))
        while True:
            options = rs.allowed_transitions(state, rs.PROFESSIONAL) + (
                rs.allowed_transitions(state, rs.PATIENT) if state == rs.OFFERED else ()
            )
            if not options or (state and rng.random() < 0.2):
                break
            state = rng.choice(sorted(set(options)))
            history.append((state, day))
            day += timedelta(days=rng.randint(0, 60))
        referral = Referral(
            patient_id=world.patient.id,
            intervention_id=cool.id,
            state=state,
            state_since=history[-1][1],
        )
        db.add(referral)
        db.flush()
        previous = None
        for to_state, on in history:
            db.add(
                ReferralEvent(
                    referral_id=referral.id,
                    from_state=previous,
                    to_state=to_state,
                    on_date=on,
                    actor_role="professional",
                )
            )
            previous = to_state
        expected[referral.id] = rs.reached_offered_in(history, start, end)
    db.flush()
    found = set(db.exec(indicators.offered_referrals(start, end)).all())
    assert found == {rid for rid, hit in expected.items() if hit}
    assert 0 < len(found) < len(expected)


def test_l2_l3_numerators_count_eligible_patients_offered_in_the_period(db, world):
    gli = make_intervention(db, world.care_group.id)
    online = make_intervention(
        db, world.care_group.id, name="Online", kind="online_module", internet_based=True
    )
    start = NOW.replace(year=2026, month=1, day=1)
    make_referral(db, world.patient.id, gli, rs.STARTED, start=start)
    make_referral(db, world.patient.id, online, rs.DECLINED, start=start)
    make_referral(db, world.other_patient.id, online, rs.OFFERED, start=start)
    make_referral(db, world.far_patient.id, gli, rs.PROPOSED, start=start)
    eligible = [world.patient.id, world.far_patient.id]
    assert indicators.l2_l3_numerators(db, eligible, date(2026, 1, 1), date(2026, 12, 31)) == (
        1,
        1,
    )
    assert indicators.l2_l3_numerators(
        db, [world.other_patient.id], date(2026, 1, 1), date(2026, 12, 31)
    ) == (1, 1)
    assert indicators.l2_l3_numerators(db, eligible, date(2025, 1, 1), date(2025, 12, 31)) == (
        0,
        0,
    )


def test_eligible_population_for_the_l2_denominator(db, world):
    make_intervention(db, world.care_group.id)
    add_measurement(db, world.patient.id, "bmi", 28)
    add_measurement(db, world.far_patient.id, "bmi", 31)
    add_measurement(db, world.other_patient.id, "bmi", 31)  # COPD: not in the criteria
    assert indicators.eligible_patient_ids(db, world.care_group.id, TODAY) == {
        world.patient.id,
        world.far_patient.id,
    }
    assert indicators.eligible_patient_ids(
        db, world.care_group.id, TODAY, practice_id=world.practice.id
    ) == {world.patient.id}
