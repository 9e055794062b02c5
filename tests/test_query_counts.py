"""SQL that scales: the statement count of the hot paths does not grow with the data.

Sizes come from the generator; timings are never asserted (machines are noisy)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, text
from sqlmodel import Session, select

from tests.conftest import empty_database
from zelfzorg.accounts.models import User
from zelfzorg.accounts.scope import actor_for
from zelfzorg.assessment.jobs import remind_due_assessments
from zelfzorg.generator import generate
from zelfzorg.leefstijl.indicators import eligible_patient_ids
from zelfzorg.telemonitoring.models import Measurement
from zelfzorg.telemonitoring.services import latest_values, overview

TODAY = date(2026, 12, 1)


@contextmanager
def counting(engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def at_two_sizes(engine, measure: Callable[[Session], int]) -> tuple[int, int]:
    """``measure`` on a small and a four times larger generated care group."""
    results = []
    for n in (15, 60):
        generate(engine, patients_n=n, practices_n=1, years=1, seed=n, today=TODAY)
        with Session(engine, expire_on_commit=False) as session:
            results.append(measure(session))
            session.commit()
        empty_database(engine)
    return results[0], results[1]


def test_lifestyle_eligibility_of_the_care_group_is_one_statement_at_any_size(engine):
    def measure(session: Session) -> int:
        group = session.execute(text("SELECT id FROM care_group")).scalar_one()
        session.execute(text("SELECT 1"))  # the transaction's BEGIN is not the query's
        with counting(engine) as statements:
            eligible_patient_ids(session, group, TODAY)
        return len(statements)

    small, large = at_two_sizes(engine, measure)
    assert small == large <= 3


def test_reminder_rerun_that_sends_nothing_costs_the_same_at_any_size(engine):
    sent: list[str] = []

    def measure(session: Session) -> int:
        sent.append(remind_due_assessments(session, TODAY))
        with counting(engine) as statements:
            assert remind_due_assessments(session, TODAY) == "0 assessment reminders"
        return len(statements)

    small, large = at_two_sizes(engine, measure)
    assert small == large <= 4
    # The first runs did send (generated patients with an account are due at some point).
    assert all(s != "0 assessment reminders" for s in sent), sent


def _telemonitored(session: Session) -> int:
    return session.execute(
        text("SELECT patient_id FROM measurement WHERE source = 'device' ORDER BY id LIMIT 1")
    ).scalar_one()


def test_measurement_overview_statements_do_not_grow_with_years_of_readings(engine):
    counts = []
    for years in (1, 3):
        generate(engine, patients_n=10, practices_n=1, years=years, seed=3, today=TODAY)
        with Session(engine, expire_on_commit=False) as session:
            patient_id = _telemonitored(session)
            poh = session.exec(select(User).where(User.email == "poh1@gen3.zelfzorg.test")).one()
            actor = actor_for(session, poh, "127.0.0.1")
            with counting(engine) as statements:
                view = overview(session, actor, patient_id)
            counts.append(len(statements))
            assert len(view.recent) == 30
            session.commit()
        empty_database(engine)
    assert counts[0] == counts[1]


def test_latest_values_picks_the_newest_current_row_per_type(db, world):
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    rows = [
        Measurement(
            patient_id=world.patient.id,
            type_code=code,
            value=value,
            unit="x",
            measured_at=start + timedelta(days=day),
            source="patient",
        )
        for code, value, day in [
            ("weight", 80, 0),
            ("weight", 81, 5),
            ("weight", 99, 9),  # corrected later: not current
            ("glucose", 6.0, 3),
            ("glucose", 7.0, 1),
        ]
    ]
    rows[2].superseded_at = start + timedelta(days=10)
    db.add_all(rows)
    db.add(
        Measurement(
            patient_id=world.other_patient.id,
            type_code="weight",
            value=70,
            unit="kg",
            measured_at=start + timedelta(days=20),
            source="patient",
        )
    )
    db.commit()
    with counting(db.get_bind()) as statements:
        latest = latest_values(db, world.patient.id)
    assert {code: row.value for code, row in latest.items()} == {"weight": 81, "glucose": 6.0}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert latest_values(db, world.patient.id, ["glucose"])["glucose"].value == 6.0
    db.commit()


def test_poh_worklist_is_a_handful_of_statements_for_10_and_200_patients(engine, db, world):
    """The worklist groups, orders and pages in SQL: the same statements at any size, at most
    10 (the practices' intervals, reasons per kind, the page, its reasons, one per kind of
    detail, the latest values). Every patient has alerts, no plan and a questionnaire due;
    every fifth proposed a goal."""
    from sqlalchemy import insert

    from tests.factories import make_patient, make_practice, make_user
    from tests.izp.helpers import goal_input
    from tests.telemonitoring.test_worklist import alert_rows
    from zelfzorg.accounts.models import Role
    from zelfzorg.izp import goals
    from zelfzorg.telemonitoring.models import Alert
    from zelfzorg.telemonitoring.services import latest_relevant_values
    from zelfzorg.worklist import worklist_page

    measured = []
    for n in (10, 200):
        practice = make_practice(db, world.care_group)
        rows = []
        for i in range(n):
            patient = make_patient(db, practice, given=f"P{i}", family=f"Size{n}")
            rows += alert_rows(patient.id, i)
            if i % 5 == 0:
                user = make_user(db, Role.patient, patient=patient)
                goals.propose_goal(db, world.actor(user), patient.id, goal_input(), today=TODAY)
        db.execute(insert(Alert), rows)
        db.commit()
        db.execute(text("SELECT 1"))  # the transaction's BEGIN is not the query's
        with counting(engine) as statements:
            page = worklist_page(
                db, [practice.id], TODAY, page_size=50, latest_values=latest_relevant_values
            )
        measured.append((len(statements), page))
        db.commit()
    (small, small_page), (large, large_page) = measured
    assert small == large <= 10, (small, large)
    # One row per patient with all its reasons; the larger practice fills the page.
    assert len(small_page.rows) == 10 and small_page.total == 10
    assert len({r.patient_id for r in large_page.rows}) == len(large_page.rows) == 50
    assert large_page.total == 200 and large_page.pages == 4
    kinds = {item.kind for row in large_page.rows for item in row.items}
    assert {"urgent_alert", "trend_alert", "goal_to_agree", "no_plan", "assessment_due"} <= kinds
    assert large_page.counts["goal_to_agree"] == 40


def test_eligible_not_yet_offered_is_a_handful_of_statements_at_any_size(engine):
    """The practice list reads the maintained eligibility table (filled by the generator):
    the same statements for 15 and 60 patients, at most 10 (catalogue, uncovered patients,
    the page with its total, the shown patients, their facts for the explanation, earlier
    referrals)."""
    from zelfzorg.leefstijl.services import practice_opportunities

    def measure(session: Session) -> int:
        practice = session.execute(text("SELECT min(id) FROM practice")).scalar_one()
        poh = session.exec(select(User).where(User.practice_id == practice)).first()
        actor = actor_for(session, poh, "127.0.0.1")
        session.execute(text("SELECT 1"))  # the transaction's BEGIN is not the query's
        with counting(engine) as statements:
            page = practice_opportunities(session, actor, TODAY, per_page=10)
        assert page.total > 0
        return len(statements)

    small, large = at_two_sizes(engine, measure)
    assert small == large <= 10, (small, large)


def test_review_reminder_rerun_is_one_statement_at_any_size(engine):
    """The goal review reminder finds the missing reminders in one statement (the key built
    in SQL, looked up in the notification index): a rerun sends nothing at the same cost."""
    from zelfzorg.izp.jobs import review_reminders

    sent: list[str] = []

    def measure(session: Session) -> int:
        # A day on which generated goals are due for review within the week.
        day = session.execute(
            text("SELECT min(review_date) FROM goal WHERE lifecycle IN ('active', 'on-hold')")
        ).scalar_one()
        day = date.fromisoformat(str(day)[:10]) - timedelta(days=3)
        sent.append(review_reminders(session, day))
        with counting(engine) as statements:
            assert review_reminders(session, day) == "0 reminders"
        return len(statements)

    small, large = at_two_sizes(engine, measure)
    assert small == large <= 2
    assert all(s != "0 reminders" for s in sent), sent


def _record_bundle(n: int, prefix: str) -> dict:
    """``n`` new patients, each with a condition, an episode of care, a weight and a blood
    pressure (the importer's set-based path for every type)."""
    from zelfzorg.fhir.resources import HIS_SYSTEM, ICPC, PROGRAMME_SYSTEM

    entries = []
    for k in range(n):
        url = f"urn:uuid:{prefix}-{k}"
        subject = {"reference": url}
        at = f"2026-11-{1 + k % 28:02d}T08:00:00+01:00"
        quantity = {"system": "http://unitsofmeasure.org"}
        entries += [
            {
                "fullUrl": url,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": HIS_SYSTEM, "value": f"{prefix}-{k}"}],
                    "name": [{"family": f"Size{n}", "given": [f"P{k}"]}],
                    "birthDate": "1950-05-05",
                    "gender": "female",
                },
            },
            {
                "resource": {
                    "resourceType": "Condition",
                    "subject": subject,
                    "code": {"coding": [{"system": ICPC, "code": "T90.02"}]},
                }
            },
            {
                "resource": {
                    "resourceType": "EpisodeOfCare",
                    "status": "active",
                    "patient": subject,
                    "type": [{"coding": [{"system": PROGRAMME_SYSTEM, "code": "DM2"}]}],
                    "period": {"start": "2020-01-01"},
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "subject": subject,
                    "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                    "effectiveDateTime": at,
                    "valueQuantity": {"value": 80.5, "code": "kg", **quantity},
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "subject": subject,
                    "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
                    "effectiveDateTime": at,
                    "component": [
                        {
                            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                            "valueQuantity": {"value": value, "code": "mm[Hg]", **quantity},
                        }
                        for code, value in (("8480-6", 135), ("8462-4", 85))
                    ],
                }
            },
        ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def test_fhir_import_statements_do_not_grow_with_the_bundle(engine, db, world):
    """Set-based storing: one look-up and one insert per resource type, so 10 and 40 patients
    (50 and 200 entries) cost the same statements; a re-import stores nothing, in fewer."""
    from zelfzorg.fhir.importer import import_bundle
    from zelfzorg.patients.models import Patient

    subject = world.actor(world.poh).audit_subject
    counts = []
    for n in (10, 40):
        bundle = _record_bundle(n, f"size{n}")
        runs = []
        for _ in range(2):
            db.execute(text("SELECT 1"))  # the transaction's BEGIN is not the import's
            with counting(engine) as statements:
                result = import_bundle(
                    db,
                    bundle,
                    practice_id=world.practice.id,
                    subject=subject,
                    created_by_id=None,
                    now=datetime(2026, 12, 1, 12, tzinfo=UTC),
                )
            db.commit()
            runs.append((len(statements), result.created, result.unchanged))
        counts.append(runs)
        assert runs[0][1:] == (5 * n, 0) and runs[1][1:] == (0, 5 * n)
    (first_small, again_small), (first_large, again_large) = counts

    # 13 to store, 2 to evaluate the alert rules on the new readings (personal targets and
    # the latest readings of the trend rules' types), 4 to recompute the touched patients'
    # lifestyle eligibility (their queue entries removed, the facts, the rows replaced)
    assert first_small[0] == first_large[0] <= 19, counts
    assert again_small[0] == again_large[0] < first_small[0], counts
    stored = db.exec(select(Measurement).where(Measurement.source == "professional")).all()
    assert len(stored) == 3 * 50  # a weight and a blood pressure pair per patient
    assert {p.family_name for p in db.exec(select(Patient)).all()} >= {"Size10", "Size40"}


def test_streamed_download_reads_a_page_in_a_few_statements_whatever_the_blood_pressures(
    engine,
):
    """The patient download streams keyset pages; a page's blood pressures get their diastolic
    values in one query, not one each."""
    from zelfzorg.fhir import resources
    from zelfzorg.fhir.everything import stream_all

    generate(engine, patients_n=10, practices_n=1, years=1, seed=3, today=TODAY)
    with Session(engine, expire_on_commit=False) as session:
        patient_id = _telemonitored(session)
        poh = session.exec(select(User).where(User.email == "poh1@gen3.zelfzorg.test")).one()
        actor = actor_for(session, poh, "127.0.0.1")
        pairs = session.execute(
            text(
                "SELECT count(*) FROM measurement WHERE patient_id = :p AND "
                "type_code = 'bp_systolic'"
            ),
            {"p": patient_id},
        ).scalar_one()
        assert pairs > 500
        with counting(engine) as statements:
            entries = stream_all(
                session,
                actor,
                patient_id,
                lambda t, row: resources.to_resource(session, t, row, TODAY),
            )
            rendered = list(entries)
        bp = [
            r for r in rendered if r.get("code", {}).get("coding", [{}])[0].get("code") == "85354-9"
        ]
        assert len(bp) == pairs and all(len(r["component"]) == 2 for r in bp)
        pages = len(rendered) // 500 + 1
        assert len(statements) <= 3 * pages + 12, (len(statements), pages)
        session.commit()
    empty_database(engine)
