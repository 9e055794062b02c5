"""Assessment services: versions in the database, fill-in lifecycle, summaries, due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests.assessment.helpers import FIXTURES, LEVEL_1, LEVEL_3, NOW, complete
from tests.factories import make_patient, make_user
from zelfzorg.accounts.models import Role
from zelfzorg.assessment import services
from zelfzorg.assessment.instruments import InstrumentDefinitionError
from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion, ResponseStatus
from zelfzorg.assessment.versions import (
    current_version,
    load_instrument_file,
    set_care_group_settings,
    sync_builtins,
)
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.errors import Forbidden, NotFound, ValidationError
from zelfzorg.notifications.models import Notification


def count_queries(engine):
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "BEGIN")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(engine, "before_cursor_execute", before)


# --- instrument versions ------------------------------------------------------------------------


def test_builtins_are_stored_once_however_often_they_are_synced(db):
    assert sync_builtins(db) == 5
    assert sync_builtins(db) == 0
    codes = sorted(v.code for v in db.exec(select(InstrumentVersion)).all())
    assert codes == ["activation", "hf_symptoms", "sdm_experience", "semcd6", "who5"]


def test_loading_a_new_version_makes_it_current_and_keeps_the_old_one(db):
    first = load_instrument_file(db, FIXTURES / "mini_v1.yaml")
    second = load_instrument_file(db, FIXTURES / "mini_v2.yaml")
    assert first.created and second.created
    db.refresh(first.version)
    assert first.version.is_current is False
    assert second.version.is_current is True
    assert current_version(db, "mini", None).version == "2"


def test_loading_the_same_file_twice_changes_nothing(db):
    first = load_instrument_file(db, FIXTURES / "mini_v1.yaml")
    again = load_instrument_file(db, FIXTURES / "mini_v1.yaml")
    assert again.created is False and again.version.id == first.version.id
    assert (
        len(db.exec(select(InstrumentVersion).where(InstrumentVersion.code == "mini")).all()) == 1
    )


def test_same_version_with_other_content_is_refused(db, tmp_path):
    load_instrument_file(db, FIXTURES / "mini_v1.yaml")
    changed = tmp_path / "mini_changed.yaml"
    changed.write_text(
        (FIXTURES / "mini_v1.yaml").read_text().replace("Vraag een.", "Vraag 1."), "utf-8"
    )
    with pytest.raises(ValidationError) as error:
        load_instrument_file(db, changed)
    assert "mini_changed.yaml" in str(error.value) and "versie 1" in str(error.value)


def test_invalid_file_is_refused_with_the_problem_named(db):
    with pytest.raises(InstrumentDefinitionError) as error:
        load_instrument_file(db, FIXTURES / "invalid_table_gap.yaml")
    assert "invalid_table_gap.yaml" in str(error.value)
    assert error.value.path
    assert (
        db.exec(select(InstrumentVersion).where(InstrumentVersion.code == "mini")).first() is None
    )


def test_version_change_keeps_old_responses_scored_by_their_own_version(db, world):
    load_instrument_file(db, FIXTURES / "mini_v1.yaml")
    answers = {"q1": 3, "q2": 3, "q3": 2}  # raw 8
    old = complete(db, world, answers, code="mini")
    actor = world.actor(world.patient_user)
    draft = services.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="mini", now=NOW
    )
    services.save_answers(db, actor, response_id=draft.id, answers=answers, now=NOW)
    load_instrument_file(db, FIXTURES / "mini_v2.yaml")  # conversion table: raw 8 -> 55.1

    started_before = services.submit_response(db, actor, response_id=draft.id, now=NOW)
    new = complete(db, world, answers, code="mini", now=NOW + timedelta(days=1))

    assert (old.instrument_version, old.score, old.level) == ("1", 55.6, 3)
    assert (started_before.instrument_version, started_before.score) == ("1", 55.6)
    assert (new.instrument_version, new.score, new.level) == ("2", 55.1, 2)
    shown = services.open_response(db, actor, old.id)
    assert shown.definition.version == "1" and shown.level.number == 3


def test_care_group_cutoffs_make_a_version_and_leave_earlier_responses_alone(db, world):
    before = complete(db, world, LEVEL_3)  # 61.5
    set_care_group_settings(
        db, care_group_id=world.care_group.id, cutoffs={3: (55.2, 60.0), 4: (60.1, 100.0)}
    )
    after = complete(db, world, LEVEL_3, now=NOW + timedelta(days=1))
    assert (before.level, before.instrument_version) == (3, "1.0")
    assert after.level == 4 and after.instrument_version == f"1.0+zg{world.care_group.id}-1"
    other_group_version = current_version(db, "activation", None)
    assert other_group_version.version == "1.0"
    # The same settings again make no new version.
    set_care_group_settings(
        db, care_group_id=world.care_group.id, cutoffs={3: (55.2, 60.0), 4: (60.1, 100.0)}
    )
    assert (
        len(
            db.exec(
                select(InstrumentVersion).where(
                    InstrumentVersion.care_group_id == world.care_group.id
                )
            ).all()
        )
        == 1
    )


def test_invalid_care_group_settings_are_refused(db, world):
    with pytest.raises(ValidationError):
        set_care_group_settings(db, care_group_id=world.care_group.id, due_interval_months=0)
    with pytest.raises(ValidationError):
        set_care_group_settings(db, care_group_id=world.care_group.id, review_interval_weeks={7: 4})
    with pytest.raises(InstrumentDefinitionError):
        set_care_group_settings(db, care_group_id=world.care_group.id, cutoffs={3: (55.2, 70.0)})
    with pytest.raises(ValidationError):
        set_care_group_settings(db, care_group_id=99999, due_interval_months=6)


# --- filling in ----------------------------------------------------------------------------------


def test_save_and_resume_keeps_answers_in_progress(db, world):
    actor = world.actor(world.patient_user)
    response = services.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="activation", now=NOW
    )
    services.save_answers(db, actor, response_id=response.id, answers={"a01": 3, "a02": 4}, now=NOW)
    resumed = services.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="activation", now=NOW
    )
    assert resumed.id == response.id
    assert resumed.status == ResponseStatus.in_progress
    services.save_answers(
        db, actor, response_id=response.id, answers={"a02": "", "a03": "0"}, now=NOW
    )
    assert resumed.answers == {"a01": 3, "a03": 0}
    assert resumed.answered_count == 1  # "not applicable" does not count


def test_invalid_answer_is_refused_and_changes_nothing(db, world):
    actor = world.actor(world.patient_user)
    response = services.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="activation", now=NOW
    )
    services.save_answers(db, actor, response_id=response.id, answers={"a01": 3}, now=NOW)
    for bad in ({"a02": "7"}, {"a02": "x"}, {"zz": 1}):
        with pytest.raises(ValidationError):
            services.save_answers(db, actor, response_id=response.id, answers=bad, now=NOW)
    assert response.answers == {"a01": 3}


def test_submit_stores_score_level_and_who_filled_it_in(db, world):
    response = complete(db, world, LEVEL_3)
    assert response.status == ResponseStatus.completed
    assert (response.score, response.level, response.scorable) == (61.5, 3, True)
    assert response.filled_by_role == "patient" and response.completed_at == NOW


def test_professional_fills_in_on_behalf(db, world):
    response = complete(db, world, LEVEL_1, user=world.poh)
    assert response.filled_by_role == "professional" and response.filled_by_id == world.poh.id
    assert response.level == 1


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({f"a{n:02d}": 3 for n in range(1, 10)}, "too_few_answers"),
        ({f"a{n:02d}": 4 for n in range(1, 14)}, "all_same_extreme"),
    ],
)
def test_unscorable_response_is_stored_with_its_reason(db, world, answers, reason):
    response = complete(db, world, answers)
    assert response.scorable is False and response.not_scorable_reason == reason
    assert response.score is None and response.level is None
    view = services.open_response(db, world.actor(world.patient_user), response.id)
    assert view.reason and view.reason_params


def test_submitted_response_cannot_change(db, world):
    response = complete(db, world, LEVEL_3)
    actor = world.actor(world.patient_user)
    with pytest.raises(ValidationError):
        services.save_answers(db, actor, response_id=response.id, answers={"a01": 1}, now=NOW)
    with pytest.raises(ValidationError):
        services.submit_response(db, actor, response_id=response.id, now=NOW)


def test_others_cannot_reach_a_response_and_the_attempt_is_audited(db, world):
    response = complete(db, world, LEVEL_3)
    for user in (world.other_patient_user, world.other_poh, world.caregroup_user, world.admin):
        with pytest.raises(NotFound):
            services.open_response(db, world.actor(user), response.id)
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.outcome == AuditOutcome.denied,
            AuditEntry.object_type == "AssessmentResponse",
        )
    ).all()
    assert len(denied) == 4
    with pytest.raises(NotFound):
        services.open_response(db, world.actor(world.poh), 999999)


def test_unknown_or_experience_instrument_cannot_be_started(db, world):
    actor = world.actor(world.patient_user)
    for code in ("nope", "sdm_experience"):
        with pytest.raises(NotFound):
            services.start_response(
                db, actor, patient_id=world.patient.id, instrument_code=code, now=NOW
            )


def test_patient_may_discard_own_draft_only(db, world):
    actor = world.actor(world.patient_user)
    response = services.start_response(
        db, actor, patient_id=world.patient.id, instrument_code="semcd6", now=NOW
    )
    with pytest.raises(ValidationError):
        services.discard_draft(db, world.actor(world.poh), response_id=response.id)
    services.discard_draft(db, actor, response_id=response.id)
    assert db.get(AssessmentResponse, response.id) is None


# --- summaries -----------------------------------------------------------------------------------


def test_latest_activation_gives_level_advice_interval_and_trend_without_audit(db, world):
    assert services.latest_activation(db, world.patient.id) is None
    complete(db, world, LEVEL_1, now=NOW - timedelta(days=400))
    complete(db, world, {f"a{n:02d}": 3 for n in range(1, 5)}, now=NOW - timedelta(days=10))
    complete(db, world, LEVEL_3)
    audits = len(db.exec(select(AuditEntry)).all())

    summary = services.latest_activation(db, world.patient.id)

    assert len(db.exec(select(AuditEntry)).all()) == audits
    assert (summary.score, summary.level, summary.review_interval_weeks) == (61.5, 3, 13)
    assert summary.level_name.nl and summary.advice_nl and summary.advice_en
    assert (summary.instrument_code, summary.instrument_version) == ("activation", "1.0")
    assert summary.completed_at == NOW
    assert (summary.previous_score, summary.trend) == (35.9, "up")  # the unscorable is skipped


def test_care_group_review_interval_overrides_the_level_default(db, world):
    complete(db, world, LEVEL_3)
    set_care_group_settings(db, care_group_id=world.care_group.id, review_interval_weeks={3: 10})
    assert services.latest_activation(db, world.patient.id).review_interval_weeks == 10


def test_latest_levels_uses_one_query(db, world, engine):
    complete(db, world, LEVEL_1, now=NOW - timedelta(days=30))
    complete(db, world, LEVEL_3)
    other = world.actor(world.other_patient_user)
    response = services.start_response(
        db, other, patient_id=world.other_patient.id, instrument_code="activation", now=NOW
    )
    services.save_answers(db, other, response_id=response.id, answers=LEVEL_1, now=NOW)
    services.submit_response(db, other, response_id=response.id, now=NOW)
    db.commit()
    statements, stop = count_queries(engine)
    try:
        levels = services.latest_levels(
            db, [world.patient.id, world.other_patient.id, world.far_patient.id]
        )
    finally:
        stop()
    assert levels == {world.patient.id: 3, world.other_patient.id: 1}
    assert len(statements) == 1
    assert services.latest_levels(db, []) == {}


# --- experience questionnaire (I4) ---------------------------------------------------------------


def test_experience_invitation_is_created_once_per_review(db, world):
    first = services.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=12, now=NOW
    )
    again = services.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=12, now=NOW
    )
    assert first.id == again.id and first.context == "review:12"
    assert first.status == ResponseStatus.in_progress and first.instrument_code == "sdm_experience"
    notes = db.exec(select(Notification).where(Notification.user_id == world.patient_user.id)).all()
    assert len(notes) == 1 and notes[0].link == f"endpoint:assessment.fill?response_id={first.id}"
    other = services.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=13, now=NOW
    )
    assert other.id != first.id


def test_only_the_patient_fills_in_the_experience_questionnaire(db, world):
    response = services.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=1, now=NOW
    )
    with pytest.raises(Forbidden):
        services.save_answers(
            db, world.actor(world.poh), response_id=response.id, answers={"e1": 5}, now=NOW
        )
    actor = world.actor(world.patient_user)
    services.save_answers(
        db, actor, response_id=response.id, answers={"e1": 5, "e2": 4, "e3": 4}, now=NOW
    )
    assert services.submit_response(db, actor, response_id=response.id, now=NOW).score == 4.33


def _experience(db, world, review_id, values, at):
    response = services.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=review_id, now=at
    )
    actor = world.actor(world.patient_user)
    services.save_answers(
        db,
        actor,
        response_id=response.id,
        answers=dict(zip(("e1", "e2", "e3"), values, strict=True)),
        now=at,
    )
    services.submit_response(db, actor, response_id=response.id, now=at)


def test_experience_score_is_the_mean_and_count_in_the_period(db, world):
    # 31 Dec 2025 23:30 Amsterdam is still in 2025; 1 Jan 2026 00:30 Amsterdam is not.
    _experience(db, world, 1, (5, 5, 5), datetime(2025, 12, 31, 22, 30, tzinfo=UTC))
    _experience(db, world, 2, (4, 4, 4), datetime(2025, 6, 1, 10, 0, tzinfo=UTC))
    _experience(db, world, 3, (1, 1, 1), datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    services.invite_experience_questionnaire(db, patient_id=world.patient.id, review_id=4, now=NOW)
    result = services.experience_score(db, start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert (result.mean, result.count) == (4.5, 2)
    assert services.experience_score(db, start=date(2026, 1, 1), end=date(2026, 12, 31)).count == 1
    by_practice = services.experience_scores_by_practice(
        db,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        practice_ids=[world.practice.id, world.other_practice.id],
    )
    assert by_practice[world.practice.id].mean == 4.5
    assert by_practice[world.other_practice.id] == services.ExperienceScore(None, 0)
    empty = services.experience_score(db, start=date(2020, 1, 1), end=date(2020, 12, 31))
    assert empty == services.ExperienceScore(None, 0)


# --- due dates, worklist, reminders --------------------------------------------------------------


def test_due_date_is_enrolment_start_then_interval_after_last_assessment(db, world):
    today = date(2026, 3, 2)
    # Never assessed: due since care started, but not before the patient was registered here.
    world.patient.created_at = datetime(2019, 6, 1, 9, 0, tzinfo=UTC)
    world.other_patient.created_at = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
    db.add_all([world.patient, world.other_patient])
    db.flush()
    due = {d.patient_id: d for d in services.due_assessments(db, today=today)}
    assert due[world.patient.id].due == date(2020, 1, 1)  # enrolled after registration
    assert due[world.other_patient.id].due == date(2025, 11, 20)  # not "overdue since 2020"
    complete(db, world, LEVEL_3)  # 2 March 2026
    assert services.due_assessments(db, today=today, patient_id=world.patient.id)[0].due == date(
        2027, 3, 2
    )
    set_care_group_settings(db, care_group_id=world.care_group.id, due_interval_months=6)
    assert services.due_assessments(db, today=today, patient_id=world.patient.id)[0].due == date(
        2026, 9, 2
    )
    assert world.patient.id not in {
        d.patient_id for d in services.due_assessments(db, today=today, horizon_days=14)
    }


def test_add_months_clamps_to_the_end_of_the_month():
    assert services.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert services.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert services.add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


def test_worklist_source_lists_due_patients_with_a_constant_number_of_queries(db, world, engine):
    from zelfzorg.assessment.worklist_sources import assessment_due

    today = date(2026, 3, 2)
    complete(db, world, LEVEL_3, now=NOW - timedelta(days=30))
    db.commit()
    statements, stop = count_queries(engine)
    try:
        items = assessment_due(db, [world.practice.id], today)
        few = len(statements)
        for n in range(5):
            make_patient(db, world.practice, given=f"Extra{n}")
        db.commit()
        statements.clear()
        more = assessment_due(db, [world.practice.id], today)
        many = len(statements)
    finally:
        stop()
    assert [i.patient_id for i in items] == [world.other_patient.id]
    assert items[0].kind == "assessment_due" and items[0].endpoint == "assessment.patient_overview"
    assert len(more) == 6 and few == many


def test_reminder_job_notifies_once_per_patient_and_due_date(db, world):
    from zelfzorg.assessment.jobs import remind_due_assessments

    today = date(2026, 3, 2)
    assert remind_due_assessments(db, today) == "2 assessment reminders"
    assert remind_due_assessments(db, today + timedelta(days=1)) == "0 assessment reminders"
    notes = db.exec(select(Notification).where(Notification.kind == "assessment_due")).all()
    assert {n.user_id for n in notes} == {world.patient_user.id, world.other_patient_user.id}
    assert notes[0].link == "endpoint:assessment.mine"


def test_reminder_job_runs_once_per_day_through_the_scheduler_claim(app, engine, world):
    from zelfzorg.assessment.jobs import JOB_NAME
    from zelfzorg.notifications.jobs import run_job

    at = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert run_job(engine, JOB_NAME, now=at) == "2 assessment reminders"
    assert run_job(engine, JOB_NAME, now=at) is None


def test_no_reminder_for_patients_without_an_account_or_out_of_care(db, world):
    from zelfzorg.assessment.jobs import remind_due_assessments

    make_patient(db, world.practice, given="Zonder")  # no account
    ended = make_patient(db, world.practice, given="Gestopt", programmes=())
    make_user(db, Role.patient, patient=ended)
    assert remind_due_assessments(db, date(2026, 3, 2)) == "2 assessment reminders"


def test_demo_seeds_every_level_unscorable_semcd_and_experience(db):
    from zelfzorg.demo import seed_demo

    seed_demo(db, n_patients=24, progress=lambda _m: None, today=date(2026, 3, 2))
    rows = db.exec(select(AssessmentResponse)).all()
    activation = [r for r in rows if r.instrument_code == "activation"]
    assert {r.level for r in activation if r.scorable} == {1, 2, 3, 4}
    assert any(r.scorable is False for r in activation)
    assert any(r.instrument_code == "semcd6" for r in rows)
    assert any(r.instrument_code == "sdm_experience" and r.score for r in rows)
    years = {r.completed_at.year for r in activation if r.completed_at}
    assert len(years) >= 3


def test_worklist_never_assessed_patient_is_due_from_joining_not_from_years_ago(db, world):
    from zelfzorg.assessment.worklist_sources import assessment_due

    today = date(2026, 12, 1)
    # In care since 2020 (the factory's enrolment), registered here a week ago.
    world.patient.created_at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    db.add(world.patient)
    db.flush()
    items = {i.patient_id: i for i in assessment_due(db, [world.practice.id], today)}
    assert items[world.patient.id].due == date(2026, 11, 24)
    assert items[world.patient.id].message == "Vragenlijst zelfmanagement is aan de beurt."
    # Assessed eleven and a half months ago: due within the two-week horizon, not yet overdue.
    complete(db, world, LEVEL_3, now=datetime(2025, 12, 10, 9, 0, tzinfo=UTC))
    items = {i.patient_id: i for i in assessment_due(db, [world.practice.id], today)}
    assert items[world.patient.id].due == date(2026, 12, 10)
    assert "binnenkort" in items[world.patient.id].message


def test_due_by_a_day_is_decided_in_sql_without_dropping_any_due_patient(db, world):
    """The daily jobs ask who is due by a day; SQL keeps only the patients that can be (month
    ends, Amsterdam midnight and 1, 6 and 12 months between included) and the answer is the
    same as deciding every patient in Python."""
    from zelfzorg.assessment.versions import current_version, sync_builtins

    sync_builtins(db)
    version = current_version(db, "activation", world.care_group.id)
    completed = []
    month_ends = [date(2024, 12, 28) + timedelta(days=n) for n in range(5)]
    month_ends += [date(2025, 1, 27) + timedelta(days=n) for n in range(7)]
    month_ends += [date(2025, 2, 25) + timedelta(days=n) for n in range(6)]
    month_ends += [date(2025, 1, 15), date(2025, 3, 31)]
    for day in month_ends:
        for hour in (0, 22, 23):  # 23:00 UTC is the next day in Amsterdam
            patient = make_patient(db, world.practice, given=f"P{day}-{hour}")
            completed.append(
                AssessmentResponse(
                    patient_id=patient.id,
                    instrument_version_id=version.id,
                    instrument_code="activation",
                    instrument_version=version.version,
                    status=ResponseStatus.completed,
                    filled_by_role="patient",
                    completed_at=datetime.combine(day, time(hour, 30), UTC),
                )
            )
    make_patient(db, world.practice, given="Later", start=date(2026, 6, 1))  # care starts later
    db.add_all(completed)
    db.flush()
    checked = []
    real_next_due = services.next_due

    def counting(**kwargs):
        checked.append(kwargs)
        return real_next_due(**kwargs)

    for months in (1, 6, 12):
        set_care_group_settings(db, care_group_id=world.care_group.id, due_interval_months=months)
        first = services.add_months(date(2024, 12, 26), months)
        step = 1 if months == 1 else 5  # every day where month ends clip (31 Jan + 1 month)
        for today in [first + timedelta(days=n) for n in range(0, 100, step)]:
            for horizon in (0, 14) if today.day % 7 == 0 else (0,):
                limit = today + timedelta(days=horizon)
                everyone = services.due_assessments(db, today=today)
                expected = [d for d in everyone if d.due <= limit]
                services.next_due, checked[:] = counting, []
                try:
                    found = services.due_assessments(db, today=today, horizon_days=horizon)
                finally:
                    services.next_due = real_next_due
                assert found == expected, (months, today, horizon)
                # Only the patients SQL could not rule out reach Python (a few days' margin).
                assert len(checked) <= len(expected) + 12, (months, today, len(checked))
