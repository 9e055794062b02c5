"""Measurements, corrections, targets and alerts through the services (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, func, select

from tests.izp.helpers import goal_input
from zelfzorg.errors import Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.izp import goals, reviews
from zelfzorg.notifications.models import Notification
from zelfzorg.telemonitoring import alerts, services, targets
from zelfzorg.telemonitoring.models import Alert, AlertStatus, Measurement
from zelfzorg.telemonitoring.services import PlausibilityError, ReadingsInput

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def enter(db, world, user=None, *, at=None, **values):
    actor = world.actor(user or world.patient_user)
    data = ReadingsInput(values={k: str(v) for k, v in values.items()}, measured_at=at or NOW)
    return services.record_readings(db, actor, world.patient.id, data, now=NOW)


def count(db, **where) -> int:
    stmt = select(func.count()).select_from(Measurement)
    for key, value in where.items():
        stmt = stmt.where(getattr(Measurement, key) == value)
    return db.exec(stmt).one()


# --- plausibility through the service -----------------------------------------------------------


def test_systolic_400_is_refused_and_nothing_is_stored(db, world):
    with pytest.raises(PlausibilityError) as info:
        enter(db, world, systolic=400, diastolic=80, weight=80)
    assert info.value.field == "systolic"
    assert "kan niet kloppen" in str(info.value)
    assert count(db) == 0


def test_diastolic_above_systolic_is_refused(db, world):
    with pytest.raises(PlausibilityError) as info:
        enter(db, world, systolic=80, diastolic=120)
    assert info.value.field == "diastolic"
    assert count(db) == 0


def test_a_time_in_the_future_is_refused(db, world):
    with pytest.raises(PlausibilityError) as info:
        enter(db, world, at=NOW + timedelta(hours=2), weight=80)
    assert info.value.field == "date"
    assert count(db) == 0


def test_glucose_in_mg_dl_is_explained_with_the_mmol_value(db, world):
    with pytest.raises(PlausibilityError) as info:
        enter(db, world, glucose=126)
    assert info.value.problems[0].code == "unit_confusion"
    assert str(info.value.problems[0].params["converted"]) == "7,0"


def test_every_refused_value_is_reported_at_once(db, world):
    with pytest.raises(PlausibilityError) as info:
        enter(db, world, systolic=400, diastolic=80, glucose=126, weight="abc")
    assert {p.field for p in info.value.problems} == {"systolic", "glucose", "weight"}


def test_bp_is_stored_as_one_reading_of_two_rows(db, world):
    result = enter(db, world, systolic=132, diastolic=84)
    rows = result.measurements
    assert [r.type_code for r in rows] == ["bp_systolic", "bp_diastolic"]
    assert rows[0].reading_id == rows[1].reading_id is not None
    assert rows[0].unit == "mm[Hg]" and rows[0].source == "patient"


def test_comma_decimals_are_accepted(db, world):
    result = enter(db, world, glucose_fasting="7,2")
    assert result.measurements[0].value == 7.2


def test_bmi_is_derived_from_a_new_weight_and_the_latest_height(db, world):
    enter(db, world, at=NOW - timedelta(days=30), height=180)
    result = enter(db, world, weight=81)
    bmi = [r for r in result.measurements if r.type_code == "bmi"]
    assert bmi and bmi[0].value == 25.0


def test_a_jump_is_stored_only_after_confirmation(db, world):
    enter(db, world, at=NOW - timedelta(days=1), weight=80)
    with pytest.raises(services.NeedsConfirmation) as info:
        enter(db, world, weight=90, glucose=6)
    assert [p.code for p in info.value.problems] == ["jump"]
    assert count(db, type_code="weight") == 1 and count(db, type_code="glucose") == 0
    data = ReadingsInput(values={"weight": "90", "glucose": "6"}, measured_at=NOW)
    assert info.value.token == services.confirm_token(data)
    result = services.record_readings(
        db, world.actor(world.patient_user), world.patient.id, data, now=NOW, confirmed=True
    )
    assert [w.code for w in result.warnings] == ["jump"]
    assert count(db, type_code="weight") == 2 and count(db, type_code="glucose") == 1


def test_the_confirmation_names_the_values_it_was_given_for():
    a = ReadingsInput(values={"weight": "90", "glucose": ""}, measured_at=NOW)
    assert services.confirm_token(a) == services.confirm_token(
        ReadingsInput(values={"weight": " 90 "}, measured_at=NOW)
    )
    assert services.confirm_token(a) != services.confirm_token(
        ReadingsInput(values={"weight": "91"}, measured_at=NOW)
    )
    assert services.confirm_token(a) != services.confirm_token(
        ReadingsInput(values={"weight": "90"}, measured_at=NOW - timedelta(hours=1))
    )


# --- corrections --------------------------------------------------------------------------------


def test_a_correction_is_a_new_version_and_the_old_row_is_kept(db, world):
    old = enter(db, world, weight=80).measurements[0]
    new = services.correct_measurement(
        db,
        world.actor(world.patient_user),
        old.id,
        value="78,5",
        measured_at=NOW,
        note="typfout",
        now=NOW,
    )
    db.refresh(old)
    assert new.supersedes_id == old.id and new.value == 78.5
    assert old.superseded_at is not None and old.value == 80
    assert services.latest_values(db, world.patient.id)["weight"].id == new.id


def test_correcting_a_superseded_version_is_a_conflict(db, world):
    old = enter(db, world, weight=80).measurements[0]
    actor = world.actor(world.poh)
    services.correct_measurement(db, actor, old.id, value="79", measured_at=NOW, note="a", now=NOW)
    with pytest.raises(Conflict):
        services.correct_measurement(
            db, actor, old.id, value="78", measured_at=NOW, note="b", now=NOW
        )


def test_a_corrected_diastolic_is_checked_against_its_systolic(db, world):
    rows = enter(db, world, systolic=130, diastolic=80).measurements
    with pytest.raises(PlausibilityError):
        services.correct_measurement(
            db,
            world.actor(world.poh),
            rows[1].id,
            value="140",
            measured_at=NOW,
            note="x",
            now=NOW,
        )


def test_another_patient_cannot_enter_or_correct(db, world):
    with pytest.raises(NotFound):
        enter(db, world, world.other_patient_user, weight=80)
    row = enter(db, world, weight=80).measurements[0]
    with pytest.raises(NotFound):
        services.correct_measurement(
            db,
            world.actor(world.other_poh),
            row.id,
            value="1",
            measured_at=NOW,
            note="x",
            now=NOW,
        )


# --- targets ------------------------------------------------------------------------------------


def test_default_target_applies_until_a_personal_one_is_set(db, world):
    assert targets.effective_target(db, world.patient.id, "bp_systolic").text() == "< 140 mmHg"
    targets.set_personal_target(
        db,
        world.actor(world.poh),
        world.patient.id,
        type_code="bp_systolic",
        comparator="<",
        low=None,
        high=150,
    )
    target = targets.effective_target(db, world.patient.id, "bp_systolic")
    assert target.source == "personal" and target.high == 150
    bulk = targets.effective_targets(db, [world.patient.id, world.other_patient.id])
    assert bulk[(world.patient.id, "bp_systolic")].high == 150
    assert bulk[(world.other_patient.id, "bp_systolic")].source == "default"
    targets.end_personal_target(
        db, world.actor(world.poh), world.patient.id, type_code="bp_systolic"
    )
    assert targets.effective_target(db, world.patient.id, "bp_systolic").source == "default"


def test_an_agreed_goal_target_is_the_personal_target_until_the_goal_ends(db, world):
    from tests.izp.helpers import TODAY, active_goal

    assert targets.effective_target(db, world.patient.id, "hba1c").high == 53  # NHG default
    goal = goals.propose_goal(
        db,
        world.actor(world.poh),
        world.patient.id,
        goal_input(
            target_type="hba1c", target_comparator="<=", target_value="58", target_unit="mmol/mol"
        ),
        today=TODAY,
    )
    # Proposed, not yet agreed by the patient: not a target yet.
    assert targets.effective_target(db, world.patient.id, "hba1c").high == 53
    goals.agree_goal(db, world.actor(world.patient_user), goal.id, today=TODAY)
    assert targets.effective_target(db, world.patient.id, "hba1c").high == 58
    assert active_goal(db, world).target_type == "bp_systolic"
    assert targets.effective_target(db, world.patient.id, "bp_systolic").high == 140
    reviews.review_goal(
        db,
        world.actor(world.poh),
        goal.id,
        achievement=None,
        decision="stop",
        next_review=None,
        token="t-stop",
        today=TODAY,
    )
    assert targets.effective_target(db, world.patient.id, "hba1c").high == 53


def test_an_impossible_target_is_refused(db, world):
    with pytest.raises(ValidationError):
        targets.set_personal_target(
            db,
            world.actor(world.poh),
            world.patient.id,
            type_code="bp_systolic",
            comparator="<",
            low=None,
            high=1000,
        )


def test_a_patient_cannot_set_a_target(db, world):
    with pytest.raises(Forbidden):
        targets.set_personal_target(
            db,
            world.actor(world.patient_user),
            world.patient.id,
            type_code="weight",
            comparator="<",
            low=None,
            high=80,
        )


# --- alerts -------------------------------------------------------------------------------------


def open_alerts(db, world):
    return db.exec(
        select(Alert).where(Alert.patient_id == world.patient.id, Alert.status == "open")
    ).all()


def test_urgent_value_opens_one_alert_that_repeats_update_and_notifies_the_poh(db, world):
    enter(db, world, at=NOW - timedelta(hours=2), systolic=190, diastolic=95)
    enter(db, world, systolic=195, diastolic=96)
    urgent = [a for a in open_alerts(db, world) if a.severity == "urgent"]
    assert len(urgent) == 1
    assert urgent[0].occurrences == 2 and urgent[0].last_value == 195
    notes = db.exec(select(Notification).where(Notification.user_id == world.poh.id)).all()
    assert len(notes) == 1
    assert notes[0].link == f"endpoint:telemonitoring.alert_detail?alert_id={urgent[0].id}"


def test_acknowledged_alert_is_kept_and_a_new_reading_opens_a_new_one(db, world):
    enter(db, world, systolic=190, diastolic=95)
    alert = next(a for a in open_alerts(db, world) if a.severity == "urgent")
    alerts.acknowledge(db, world.actor(world.poh), alert.id, note="Gebeld", now=NOW)
    assert alert.status == AlertStatus.acknowledged and alert.open_slot is None
    with pytest.raises(Conflict):
        alerts.acknowledge(db, world.actor(world.poh), alert.id, note="nogmaals", now=NOW)
    enter(db, world, at=NOW + timedelta(minutes=1), systolic=191, diastolic=95)
    urgent = db.exec(select(Alert).where(Alert.dedup_key == "urgent:bp_systolic")).all()
    assert sorted(a.status for a in urgent) == ["acknowledged", "open"]


def test_acknowledging_needs_a_note(db, world):
    enter(db, world, systolic=190, diastolic=95)
    alert = open_alerts(db, world)[0]
    with pytest.raises(ValidationError):
        alerts.acknowledge(db, world.actor(world.poh), alert.id, note="  ", now=NOW)
    db.refresh(alert)
    assert alert.status == "open"


def test_trend_alert_after_three_of_five_off_target(db, world):
    for i, value in enumerate([150, 130, 152]):
        enter(db, world, at=NOW - timedelta(days=5 - i), systolic=value, diastolic=80)
    assert not [a for a in open_alerts(db, world) if a.severity == "trend"]
    enter(db, world, at=NOW - timedelta(days=2), systolic=155, diastolic=80)
    enter(db, world, at=NOW - timedelta(days=1), systolic=158, diastolic=80)
    trend = [a for a in open_alerts(db, world) if a.severity == "trend"]
    assert len(trend) == 1 and trend[0].type_code == "bp_systolic"
    assert trend[0].occurrences == 2 and trend[0].params["off_target"] == 4


def test_trend_uses_the_personal_target(db, world):
    targets.set_personal_target(
        db,
        world.actor(world.poh),
        world.patient.id,
        type_code="bp_systolic",
        comparator="<",
        low=None,
        high=160,
    )
    for i, value in enumerate([150, 152, 155]):
        enter(db, world, at=NOW - timedelta(days=3 - i), systolic=value, diastolic=80)
    assert not [a for a in open_alerts(db, world) if a.severity == "trend"]


def test_the_database_refuses_a_second_open_alert(db, world):
    enter(db, world, systolic=190, diastolic=95)
    first = open_alerts(db, world)[0]
    db.commit()
    from sqlalchemy.exc import IntegrityError

    twin = Alert(
        patient_id=first.patient_id,
        rule_code=first.rule_code,
        type_code=first.type_code,
        dedup_key=first.dedup_key,
        severity=first.severity,
        status=AlertStatus.open,
        first_at=NOW,
        last_at=NOW,
        message=first.message,
    )
    db.add(twin)
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_an_old_urgent_value_is_history_not_an_alert(db, world):
    enter(db, world, at=NOW - timedelta(days=400), systolic=190, diastolic=95)
    assert not [a for a in open_alerts(db, world) if a.severity == "urgent"]


def test_device_tokens_are_stored_as_hashes(db, world):
    token, row = services.create_device_token(
        db, world.actor(world.poh), world.patient.id, label="Meter"
    )
    assert token not in row.token_hash
    assert services.patient_for_token(db, token)[0].id == world.patient.id
    services.revoke_device_token(db, world.actor(world.poh), world.patient.id, row.id)
    assert services.patient_for_token(db, token) is None
    assert services.patient_for_token(db, "") is None


def test_measurement_rows_are_counted_per_type(db, world):
    enter(db, world, systolic=120, diastolic=80, weight=70)
    assert (
        db.exec(
            select(func.count()).select_from(Measurement).where(col(Measurement.value).is_not(None))
        ).one()
        == 3
    )
