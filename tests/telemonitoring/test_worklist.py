"""The worklist's alert lines: ranked, filterable, linked, and a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert
from sqlmodel import select

from tests.factories import make_patient, make_practice, make_user
from zelfzorg.accounts.models import Role
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
    assert small_page.count("kind-urgent_alert") == 20
    # Ranked and paged: the first page holds the 50 most urgent of the 400 lines.
    assert large_page.count("kind-urgent_alert") == 50
    assert "Dringende signalen (200)" in large_page
    assert n_small == n_large


def test_worklist_pages_through_all_lines_in_rank_order(app, db, world, login):
    poh = practice_with_alerts(db, world, 40)  # 40 urgent + 40 trend lines
    client = login(poh)
    alerts = "/werklijst?kind=urgent_alert&kind=trend_alert"
    first = client.get(alerts).text
    last = client.get(alerts + "&page=2").text
    assert first.count("kind-urgent_alert") == 40 and first.count("kind-trend_alert") == 10
    assert last.count("kind-urgent_alert") == 0 and last.count("kind-trend_alert") == 30
    assert 'start="51"' in last and "Pagina 2 van 2" in last
    assert client.get(alerts + "&page=99").text.count("kind-trend_alert") == 30  # clamped
    filtered = client.get("/werklijst?kind=trend_alert").text
    assert filtered.count("kind-trend_alert") == 40 and "Pagina 2" not in filtered


def test_urgent_alerts_rank_above_trend_alerts_and_filter_by_kind(app, db, world, login):
    db.execute(insert(Alert), alert_rows(world.patient.id) + alert_rows(world.other_patient.id))
    db.commit()
    client = login(world.poh)
    page = client.get("/werklijst").text
    assert page.rindex("kind-urgent_alert") < page.index("kind-trend_alert")
    assert "Zeer hoge waarde: 190 mmHg" in page and "/signalen/" in page
    only_trend = client.get("/werklijst?kind=trend_alert").text
    assert "kind-urgent_alert" not in only_trend and only_trend.count("kind-trend_alert") == 2
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
    from zelfzorg.izp import services as izp
    from zelfzorg.leefstijl import referral_states as rs
    from zelfzorg.patients.models import Enrolment

    db.execute(insert(Alert), alert_rows(world.patient.id))
    active_goal(db, world, review_date=TODAY + timedelta(days=3))
    # Kees: enrolled, no plan, an offer left unanswered for weeks.
    offer = make_intervention(db, world.care_group.id)
    make_referral(db, world.other_patient.id, offer, rs.OFFERED, start=NOW - timedelta(days=60))
    # Henk: a plan without an agreed goal.
    henk = make_patient(db, world.practice, given="Henk", family="de Boer")
    izp.get_or_create_plan(db, world.actor(world.poh), henk.id, now=NOW)
    # Ex: no longer enrolled (the programme ended): no work for the worklist.
    ex = make_patient(db, world.practice, given="Ex", family="Patiënt")
    izp.get_or_create_plan(db, world.actor(world.poh), ex.id, now=NOW)
    for enrolment in db.exec(select(Enrolment).where(Enrolment.patient_id == ex.id)).all():
        enrolment.end_date = date(2025, 1, 1)
        db.add(enrolment)
    db.commit()
    return TODAY, henk, ex


def test_every_source_ranks_in_the_order_the_issue_gives(app, db, world):
    from zelfzorg.worklist import collect

    today, henk, ex = practice_with_every_kind_of_work(db, world)
    items = collect(db, [world.practice.id], today)
    kinds = [item.kind for item in items]
    assert set(kinds) == set(ISSUE_ORDER)
    positions = [ISSUE_ORDER.index(kind) for kind in kinds]
    assert positions == sorted(positions), kinds
    assert [i.patient_id for i in items if i.kind == "no_agreed_goals"] == [henk.id]
    assert ex.id not in {i.patient_id for i in items}
    assert world.far_patient.id not in {i.patient_id for i in items}


def test_the_worklist_page_shows_every_kind_in_rank_order_with_its_filter(
    app, db, world, login, monkeypatch
):
    import zelfzorg.worklist.views as worklist_views

    today, _henk, _ex = practice_with_every_kind_of_work(db, world)
    monkeypatch.setattr(worklist_views, "today", lambda: today)
    page = login(world.poh).get("/werklijst").text
    lines = [page.index(f'class="kind-{kind}"') for kind in ISSUE_ORDER]
    assert lines == sorted(lines)
    # The filter lists the kinds in the same order.
    boxes = [page.index(f'value="{kind}"') for kind in ISSUE_ORDER]
    assert boxes == sorted(boxes)
