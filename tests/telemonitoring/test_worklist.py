"""The worklist's alert lines: ranked, filterable, linked, and a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert
from sqlmodel import select

from tests.factories import make_patient, make_practice, make_user
from zelfzorg.accounts.models import Role
from zelfzorg.izp import plans
from zelfzorg.telemonitoring.models import Alert

AT = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def alert_rows(patient_id: int, i: int = 0) -> list[dict]:
    common = {
        "patient_id": patient_id,
        "status": "open",
        "open_slot": 1,
        "occurrences": 1,
        "note": "",
    }
    return [
        dict(
            common,
            rule_code="urgent",
            type_code="bp_systolic",
            dedup_key="urgent:bp_systolic",
            severity="urgent",
            first_at=AT,
            last_at=AT + timedelta(minutes=i),
            last_value=190.0,
            message="Zeer hoge waarde: %(value)s (grens: %(limit)s).",
            params={
                "value": {"nl": "190 mmHg", "en": "190 mmHg"},
                "limit": {"nl": "≥ 180 mmHg", "en": "≥ 180 mmHg"},
            },
        ),
        dict(
            common,
            rule_code="trend_3_of_5",
            type_code="weight",
            dedup_key="trend_3_of_5:weight",
            severity="trend",
            first_at=AT,
            last_at=AT,
            last_value=90.0,
            message="%(off_target)s van de laatste %(count)s metingen halen het streefdoel niet "
            "(%(target)s).",
            params={"off_target": 3, "count": 5, "target": {"nl": "< 85,0 kg", "en": "< 85.0 kg"}},
        ),
    ]


def practice_with_alerts(db, world, n: int):
    practice = make_practice(db, world.care_group)
    poh = make_user(db, Role.professional, practice=practice)
    rows = []
    for i in range(n):
        rows += alert_rows(make_patient(db, practice).id, i)
    db.execute(insert(Alert), rows)
    db.commit()
    return poh


def count_queries(engine, client, url: str) -> tuple[int, str]:
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(statements), response.text


def test_worklist_query_count_does_not_grow_with_the_practice(app, engine, db, world, login):
    small = practice_with_alerts(db, world, 20)
    large = practice_with_alerts(db, world, 200)
    n_small, small_page = count_queries(engine, login(small), "/werklijst")
    n_large, large_page = count_queries(engine, login(large), "/werklijst")
    # One line per patient, with both of its alerts.
    assert small_page.count('class="kind-urgent_alert"') == 20
    assert small_page.count('class="reason-trend_alert"') == 20
    # Ranked and paged: the first page holds the 50 most urgent of the 200 patients.
    assert large_page.count('class="kind-urgent_alert"') == 50
    assert "Dringend signaal (200)" in large_page and "Trendsignaal (200)" in large_page
    assert "200 patiënten hebben aandacht nodig" in large_page
    assert n_small == n_large


def test_worklist_pages_through_all_patients_in_rank_order(app, db, world, login):
    poh = practice_with_alerts(db, world, 60)  # 60 patients with an urgent and a trend alert
    client = login(poh)
    alerts = "/werklijst?kind=urgent_alert&kind=trend_alert"
    first = client.get(alerts).text
    last = client.get(alerts + "&page=2").text
    assert first.count('class="kind-urgent_alert"') == 50
    assert last.count('class="kind-urgent_alert"') == 10
    assert 'start="51"' in last and "Pagina 2 van 2" in last
    clamped = client.get(alerts + "&page=99").text
    assert clamped.count('class="kind-urgent_alert"') == 10 and "Pagina 2 van 2" in clamped


def test_one_line_per_patient_with_every_reason_and_filters_by_kind(app, db, world, login):
    trend_only = alert_rows(world.other_patient.id)[1:]
    db.execute(insert(Alert), alert_rows(world.patient.id) + trend_only)
    db.commit()
    client = login(world.poh)
    page = client.get("/werklijst").text
    # Jan (urgent and trend) first, in one line; Kees (trend only) after him.
    assert page.count('class="kind-urgent_alert"') == 1
    assert page.count('class="kind-trend_alert"') == 1
    assert page.index('class="kind-urgent_alert"') < page.index('class="kind-trend_alert"')
    jan = page[page.index('class="kind-urgent_alert"') : page.index('class="kind-trend_alert"')]
    assert "Zeer hoge waarde: 190 mmHg" in jan and "/signalen/" in jan
    assert "3 van de laatste 5 metingen" in jan
    # Tags in the singular, each once per patient.
    assert jan.count(">Dringend signaal<") == 1 and jan.count(">Trendsignaal<") == 1
    assert "Trendsignalen" not in page and "Dringende signalen" not in page
    # A filter keeps the patients with such a reason, each with all their reasons.
    only_trend = client.get("/werklijst?kind=trend_alert").text
    assert only_trend.count('class="kind-') == 2 and "Trendsignaal (2)" in only_trend
    only_urgent = client.get("/werklijst?kind=urgent_alert").text
    assert only_urgent.count('class="kind-') == 1 and 'class="reason-trend_alert"' in only_urgent
    # Another practice's POH sees none of them.
    assert "kind-urgent_alert" not in login(world.other_poh).get("/werklijst").text


# --- all sources together -----------------------------------------------------------------------

ISSUE_ORDER = [
    "urgent_alert",
    "trend_alert",
    "review_due",
    "assessment_due",
    "no_plan",
    "no_agreed_goals",
    "referral_waiting",
]


def practice_with_every_kind_of_work(db, world):
    """One practice with a line of every kind; ``today`` is the helpers' TODAY."""
    from datetime import date

    from tests.izp.helpers import NOW, TODAY, active_goal
    from tests.leefstijl.helpers import make_intervention, make_referral
    from zelfzorg.leefstijl import referral_states as rs
    from zelfzorg.patients.models import Enrolment

    db.execute(insert(Alert), alert_rows(world.patient.id))
    active_goal(db, world, review_date=TODAY + timedelta(days=3))
    # Kees: enrolled, no plan, an offer left unanswered for weeks.
    offer = make_intervention(db, world.care_group.id)
    make_referral(db, world.other_patient.id, offer, rs.OFFERED, start=NOW - timedelta(days=60))
    # Henk: a plan without an agreed goal.
    henk = make_patient(db, world.practice, given="Henk", family="de Boer")
    plans.get_or_create_plan(db, world.actor(world.poh), henk.id, now=NOW)
    # Ex: no longer enrolled (the programme ended): no work for the worklist.
    ex = make_patient(db, world.practice, given="Ex", family="Patiënt")
    plans.get_or_create_plan(db, world.actor(world.poh), ex.id, now=NOW)
    for enrolment in db.exec(select(Enrolment).where(Enrolment.patient_id == ex.id)).all():
        enrolment.end_date = date(2025, 1, 1)
        db.add(enrolment)
    db.commit()
    return TODAY, henk, ex


def test_every_source_ranks_in_the_order_the_issue_gives(app, db, world):
    from zelfzorg.worklist import worklist_page

    today, henk, ex = practice_with_every_kind_of_work(db, world)
    rows = worklist_page(db, [world.practice.id], today, page_size=None).rows
    kinds = {item.kind for row in rows for item in row.items}
    assert kinds == set(ISSUE_ORDER)
    # Patients by their most urgent reason; each patient's reasons most urgent first.
    tops = [ISSUE_ORDER.index(row.kind) for row in rows]
    assert tops == sorted(tops)
    for row in rows:
        positions = [ISSUE_ORDER.index(item.kind) for item in row.items]
        assert positions == sorted(positions), row
    assert len({row.patient_id for row in rows}) == len(rows)
    no_goals = [row.patient_id for row in rows if "no_agreed_goals" in {i.kind for i in row.items}]
    assert no_goals == [henk.id]
    assert ex.id not in {row.patient_id for row in rows}
    assert world.far_patient.id not in {row.patient_id for row in rows}


def test_the_worklist_page_shows_every_kind_in_rank_order_with_its_filter(
    app, db, world, login, monkeypatch
):
    import zelfzorg.worklist.views as worklist_views

    today, _henk, _ex = practice_with_every_kind_of_work(db, world)
    monkeypatch.setattr(worklist_views, "today", lambda: today)
    page = login(world.poh).get("/werklijst").text
    for kind in ISSUE_ORDER:
        assert f'class="reason-{kind}"' in page
    lines = [page.index(f'class="kind-{kind}"') for kind in ("urgent_alert", "assessment_due")]
    assert lines == sorted(lines)
    # The filter lists the kinds in the same order.
    boxes = [page.index(f'value="{kind}"') for kind in ISSUE_ORDER]
    assert boxes == sorted(boxes)
