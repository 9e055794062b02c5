"""The worklist pages in SQL: every page holds exactly the rows and reasons the unpaged list
holds at that place, the totals and counts per kind describe the whole practice whatever the
page or filter, and an empty practice, an empty filter and a page past the end behave."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, text

from tests.factories import make_patient, make_practice, make_user
from tests.izp.helpers import goal_input
from tests.queries import count_statements
from tests.telemonitoring.test_worklist import alert_rows
from zelfzorg.accounts.models import Role
from zelfzorg.izp import goals, plans
from zelfzorg.telemonitoring.models import Alert
from zelfzorg.telemonitoring.services import latest_relevant_values
from zelfzorg.worklist import worklist_page

TODAY = date(2026, 11, 30)


def mixed_practice(db, world, n: int):
    """``n`` enrolled patients: every third with alerts, every fourth with a plan (so no
    "no plan" reason), every fifth proposed a goal (which gives a plan too); all have a
    questionnaire due."""
    practice = make_practice(db, world.care_group)
    poh = world.actor(make_user(db, Role.professional, practice=practice))
    rows = []
    for i in range(n):
        patient = make_patient(db, practice, given=f"P{i:02d}", family=f"Familie {i % 7}")
        if i % 3 == 0:
            rows += alert_rows(patient.id, i)
        if i % 4 == 0:
            plans.get_or_create_plan(db, poh, patient.id)
        if i % 5 == 0:
            user = make_user(db, Role.patient, patient=patient)
            goals.propose_goal(db, world.actor(user), patient.id, goal_input(), today=TODAY)
    if rows:
        db.execute(insert(Alert), rows)
    db.commit()
    return practice


def lines(page) -> list[tuple]:
    return [
        (row.patient_id, row.practice_id, tuple((i.kind, i.message, i.due) for i in row.items))
        for row in page.rows
    ]


def test_the_pages_together_are_the_unpaged_list_in_the_same_order(db, world):
    practice = mixed_practice(db, world, 30)
    everything = worklist_page(db, [practice.id], TODAY, page_size=None)
    assert everything.total == 30 and len(everything.rows) == 30
    paged = [worklist_page(db, [practice.id], TODAY, page=p, page_size=7) for p in range(1, 6)]
    assert [p.pages for p in paged] == [5] * 5
    assert [len(p.rows) for p in paged] == [7, 7, 7, 7, 2]
    # The page's reasons are read for its patients only: the same lines as the whole list.
    assert [line for p in paged for line in lines(p)] == lines(everything)
    assert all(p.counts == everything.counts and p.total == 30 for p in paged)
    assert everything.counts["urgent_alert"] == 10 and everything.counts["goal_to_agree"] == 6
    # A plan for every fourth patient, and a proposed goal makes one: 12 of 30 have one.
    assert everything.counts["no_plan"] == 30 - 12


def test_a_filter_pages_the_matching_patients_and_keeps_the_practice_counts(db, world):
    practice = mixed_practice(db, world, 30)
    everything = worklist_page(db, [practice.id], TODAY, page_size=None)
    alerts = worklist_page(db, [practice.id], TODAY, kinds={"urgent_alert"}, page_size=4)
    assert (alerts.total, alerts.pages, len(alerts.rows)) == (10, 3, 4)
    assert alerts.counts == everything.counts
    last = worklist_page(db, [practice.id], TODAY, kinds={"urgent_alert"}, page=3, page_size=4)
    assert len(last.rows) == 2 and last.page == 3
    # Each filtered patient still shows every reason, as in the unpaged list.
    whole = {line[0]: line for line in lines(everything)}
    assert all(whole[line[0]] == line for line in lines(alerts) + lines(last))


def test_a_page_past_the_end_shows_the_last_page(db, world):
    practice = mixed_practice(db, world, 12)
    last = worklist_page(db, [practice.id], TODAY, page=2, page_size=10)
    beyond = worklist_page(db, [practice.id], TODAY, page=9, page_size=10)
    assert beyond.page == 2 and beyond.pages == 2 and lines(beyond) == lines(last)
    assert len(beyond.rows) == 2 and beyond.total == 12


def test_an_empty_practice_and_a_filter_nobody_matches(db, world):
    empty = make_practice(db, world.care_group)
    db.commit()
    for page in (1, 3):
        result = worklist_page(db, [empty.id], TODAY, page=page, page_size=10)
        assert (result.rows, result.total, result.counts, result.page, result.pages) == (
            [],
            0,
            {},
            1,
            1,
        )
    practice = mixed_practice(db, world, 5)
    nobody = worklist_page(db, [practice.id], TODAY, kinds={"referral_waiting"}, page_size=10)
    assert nobody.rows == [] and nobody.total == 0 and nobody.pages == 1
    # The counts still describe the practice, so the filter shows what there is.
    assert nobody.counts["no_plan"] == 3 and "referral_waiting" not in nobody.counts
    assert worklist_page(db, [], TODAY).rows == []


def test_the_page_costs_the_same_statements_for_a_small_and_a_large_practice(engine, db, world):
    """Settings, the page with its total and counts, the page's reasons, one per kind of
    detail, the latest values: the same count at 6 and 60 patients (no statement per
    patient)."""
    measured = []
    for n in (6, 60):
        practice = mixed_practice(db, world, n)
        db.execute(text("SELECT 1"))  # the transaction's BEGIN is not the page's
        with count_statements(engine) as statements:
            page = worklist_page(
                db, [practice.id], TODAY, page_size=50, latest_values=latest_relevant_values
            )
        measured.append(len(statements))
        assert page.total == n
        db.commit()
    assert measured[0] == measured[1] <= 10, measured
