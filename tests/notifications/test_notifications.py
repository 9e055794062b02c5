"""In-app notifications and run claims: idempotent by key, once per run."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from zelfzorg.notifications import jobs
from zelfzorg.notifications.models import JobRun, Notification
from zelfzorg.notifications.services import (
    claim_run,
    finish_run,
    list_for_user,
    mark_read,
    notify,
    unread_count,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def note(db, user, key="review:1", **kw):
    values = {"kind": "review_due", "message": "Evaluatie gepland op %(date)s."}
    values.update(kw)
    return notify(db, user_id=user.id, key=key, **values)


def test_notify_is_idempotent_per_user_and_key(db, world):
    first = note(db, world.poh, params={"date": "1 april"}, now=T0)
    assert first is not None and first.id is not None
    assert note(db, world.poh, message="Iets anders") is None
    db.commit()
    # Also from another session (another process) after the first one committed.
    with Session(db.get_bind()) as other:
        assert note(other, world.poh) is None
        other.commit()
    # The same key for someone else, or another key, is a new notification.
    assert note(db, world.other_poh) is not None
    assert note(db, world.poh, key="review:2") is not None
    rows = db.exec(select(Notification).where(Notification.user_id == world.poh.id)).all()
    assert sorted(r.key for r in rows) == ["review:1", "review:2"]
    assert next(r for r in rows if r.key == "review:1").params == {"date": "1 april"}


def test_unread_count_and_mark_read(db, world):
    for i in range(3):
        note(db, world.poh, key=f"k{i}", now=T0 + timedelta(minutes=i))
    note(db, world.other_poh, key="k0")
    assert unread_count(db, world.poh.id) == 3
    newest = list_for_user(db, world.poh.id)
    assert [n.key for n in newest] == ["k2", "k1", "k0"]
    assert mark_read(db, world.poh.id, newest[0].id) == 1
    assert unread_count(db, world.poh.id) == 2
    assert newest[0].read_at is not None
    # Someone else's notification cannot be marked read by id.
    other = list_for_user(db, world.other_poh.id)[0]
    assert mark_read(db, world.poh.id, other.id) == 0
    assert other.read_at is None
    assert mark_read(db, world.poh.id) == 2
    assert mark_read(db, world.poh.id) == 0
    assert unread_count(db, world.poh.id) == 0
    assert unread_count(db, world.other_poh.id) == 1


def test_claim_run_succeeds_once_per_job_and_key(db, world):
    run = claim_run(db, job="reminders", run_key="2026-03-02", worker="a")
    assert run is not None
    # The same session again: refused, and the first claim survives the refusal.
    assert claim_run(db, job="reminders", run_key="2026-03-02", worker="a") is None
    finish_run(db, run, "3 sent")
    db.commit()
    with Session(db.get_bind()) as other:
        assert claim_run(other, job="reminders", run_key="2026-03-02", worker="b") is None
        assert claim_run(other, job="reminders", run_key="2026-03-03", worker="b") is not None
        assert claim_run(other, job="other-job", run_key="2026-03-02", worker="b") is not None
        other.commit()
    runs = db.exec(select(JobRun).order_by(JobRun.id)).all()
    db.commit()
    assert [(r.job, r.run_key, r.claimed_by) for r in runs] == [
        ("reminders", "2026-03-02", "a"),
        ("reminders", "2026-03-03", "b"),
        ("other-job", "2026-03-02", "b"),
    ]
    assert (runs[0].result, runs[0].finished_at is not None) == ("3 sent", True)


def test_run_job_runs_once_per_amsterdam_day(engine, world, monkeypatch):
    calls = []

    def job(session, today):
        calls.append(today)
        return f"ran for {today}"

    monkeypatch.setitem(jobs.JOBS, "test-job", jobs.Job("test-job", job))
    # 23:30 UTC on 1 March is already 2 March in Amsterdam.
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert jobs.run_job(engine, "test-job", now=late) == "ran for 2026-03-02"
    assert jobs.run_job(engine, "test-job", now=late + timedelta(hours=3)) is None
    assert jobs.run_job(engine, "test-job", now=late + timedelta(days=1)) == "ran for 2026-03-03"
    assert [str(d) for d in calls] == ["2026-03-02", "2026-03-03"]


def test_notifications_page_lists_and_marks_read(db, world, login):
    note(db, world.patient_user, message="Vul uw vragenlijst in.")
    db.commit()
    client = login(world.patient_user)
    page = client.get("/meldingen")
    assert page.status_code == 200
    assert "Vul uw vragenlijst in." in page.text
    response = client.post("/meldingen/gelezen", data={"csrf_token": CSRF.search(page.text)[1]})
    assert response.status_code == 302
    assert unread_count(db, world.patient_user.id) == 0
    db.commit()


def test_a_link_stored_as_an_endpoint_is_built_by_the_web_layer(app):
    from zelfzorg.notifications.services import endpoint_link
    from zelfzorg.notifications.views import link_href

    link = endpoint_link("telemonitoring.alert_detail", alert_id=7)
    assert link == "endpoint:telemonitoring.alert_detail?alert_id=7"
    with app.test_request_context():
        assert link_href(link) == "/signalen/7"
        assert link_href("/doelen/3/voorbereiden") == "/doelen/3/voorbereiden"  # plain paths
        assert link_href("endpoint:gone.view?x=1") is None  # no broken link
        assert link_href(None) is None
