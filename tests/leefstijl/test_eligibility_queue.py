"""Large changes queue their patients; the interval job recomputes them in short chunks.

A change to more than ``INLINE_LIMIT`` patients (an import, a catalogue change of a large care
group) removes their rows and queues them: readers evaluate them live meanwhile (the same
answers), and ``drain_queue`` brings the table back to what an inline recompute writes."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from tests.conftest import empty_database
from tests.leefstijl.test_eligibility_table import GEN_TODAY, _live_python, _pairs, _table
from tests.queries import count_statements
from zelfzorg.accounts.models import User
from zelfzorg.accounts.scope import actor_for
from zelfzorg.generator import generate
from zelfzorg.leefstijl import eligibility, indicators
from zelfzorg.leefstijl.models import Eligibility, EligibilityQueue
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.jobs import INTERVAL_JOBS


def _queue(db: Session) -> dict[int, int]:
    db.expire_all()
    return {e.patient_id: e.generation for e in db.exec(select(EligibilityQueue)).all()}


def test_a_large_change_is_queued_read_live_and_recomputed_by_the_job(engine, monkeypatch):
    generate(engine, patients_n=80, practices_n=2, years=1, seed=7, today=GEN_TODAY)
    monkeypatch.setattr(eligibility, "INLINE_LIMIT", 10)
    try:
        with Session(engine, expire_on_commit=False) as db:
            group = db.execute(sa.text("SELECT id FROM care_group")).scalar_one()
            practice = db.execute(sa.text("SELECT min(id) FROM practice")).scalar_one()
            poh = db.exec(select(User).where(User.practice_id == practice)).first()
            actor = actor_for(db, poh)  # type: ignore[arg-type]
            day = GEN_TODAY + timedelta(days=1)
            before = _table(db)
            stored = indicators.eligible_patient_ids(db, group, GEN_TODAY)
            listed = _pairs(db, actor, day)
            assert before and stored and listed

            # A catalogue change of this 80-patient care group: queued, nothing recomputed.
            assert eligibility.care_group_changed(db, group, GEN_TODAY) == 0
            db.commit()
            patients = set(db.exec(eligibility._group_patients(group)).all())
            assert _table(db) == {}
            assert _queue(db) == dict.fromkeys(patients, 1)
            # Read live meanwhile: the same answers as from the table.
            assert indicators.eligible_patient_ids(db, group, GEN_TODAY) == stored
            assert _pairs(db, actor, day) == listed

            # The job: 30 patients per transaction, until the queue is empty; one patient
            # has waited 90 s (the job says how long the longest waited).
            db.execute(
                sa.update(EligibilityQueue)
                .where(EligibilityQueue.patient_id == min(patients))
                .values(queued_at=utcnow() - timedelta(seconds=90))
            )
            db.commit()
            with count_statements(engine) as statements:
                done = eligibility.drain_queue(engine, GEN_TODAY, chunk=30)
            # How long the longest waited is said (the queue's moment is read back).
            head, _, tail = done.partition(", the longest after ")
            assert head == "80 queued patients recomputed", done
            assert tail.endswith(" s in the queue") and 90 <= int(tail.split()[0]) < 600, done
            picks = [
                s
                for s in statements
                if s.startswith("SELECT") and "FROM lifestyle_eligibility_queue" in s
            ]
            assert len(picks) == 3  # 30 + 30 + 20
            assert _queue(db) == {}
            db.expire_all()
            assert _table(db) == before == _live_python(db, group, GEN_TODAY)

            # With nothing queued the job is one look-up.
            db.commit()
            with count_statements(engine) as statements:
                assert eligibility.drain_queue(engine, GEN_TODAY) == "0 queued patients recomputed"
            assert [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))] == [
                next(s for s in statements if "lifestyle_eligibility_queue" in s)
            ]

            # A fact change of 11 patients is queued; of 10, recomputed at once (and any queue
            # entries of those 10 go: they are up to date).
            some = sorted(patients)[:11]
            eligibility.queue(db, some[:1])
            assert eligibility.patients_changed(db, some, GEN_TODAY) == 0
            assert _queue(db) == {some[0]: 2, **dict.fromkeys(some[1:], 1)}
            assert eligibility.patients_changed(db, some[:10], GEN_TODAY) > 0
            assert _queue(db) == {some[10]: 1}
            db.commit()
            eligibility.drain_queue(engine, GEN_TODAY)
            db.expire_all()
            assert _table(db) == before
    finally:
        empty_database(engine)


def test_the_job_keeps_an_entry_queued_again_while_it_computed(engine, monkeypatch):
    """A change that queues a patient again while the job computes them (another generation)
    is not removed with the job's entry: the patient is recomputed on the next run."""
    generate(engine, patients_n=20, practices_n=1, years=1, seed=3, today=GEN_TODAY)
    try:
        with Session(engine, expire_on_commit=False) as db:
            patient = db.execute(sa.text("SELECT min(id) FROM patient")).scalar_one()
            expected = {k: v for k, v in _table(db).items() if k[0] == patient}
            eligibility.queue(db, [patient])
            db.commit()
        recompute = eligibility._recompute

        def changed_meanwhile(session, ids, today):
            written = recompute(session, ids, today)
            eligibility.queue(session, ids)  # the patient's facts changed again
            return written

        monkeypatch.setattr(eligibility, "_recompute", changed_meanwhile)
        eligibility.drain_queue(engine, GEN_TODAY)
        with Session(engine) as db:
            assert _queue(db) == {patient: 2}
            assert db.exec(select(Eligibility).where(Eligibility.patient_id == patient)).all() == []
        monkeypatch.setattr(eligibility, "_recompute", recompute)
        eligibility.drain_queue(engine, GEN_TODAY)
        with Session(engine) as db:
            assert _queue(db) == {}
            assert {k: v for k, v in _table(db).items() if k[0] == patient} == expected
    finally:
        empty_database(engine)


def test_the_queue_job_is_registered_for_the_scheduler():
    job = INTERVAL_JOBS["lifestyle_eligibility_queue"]
    assert 0 < job.seconds <= 60


def test_an_edited_catalogue_entry_takes_only_its_own_rows_away(engine, monkeypatch):
    """Queued for one changed entry: the other interventions' rows stay, yet the patients are
    evaluated live (not covered for every active intervention) and the job restores all."""
    generate(engine, patients_n=40, practices_n=1, years=1, seed=5, today=GEN_TODAY)
    monkeypatch.setattr(eligibility, "INLINE_LIMIT", 10)
    try:
        with Session(engine, expire_on_commit=False) as db:
            group = db.execute(sa.text("SELECT id FROM care_group")).scalar_one()
            before = _table(db)
            edited = min(i for _, i in before)
            stored = indicators.eligible_patient_ids(db, group, GEN_TODAY)
            eligibility.care_group_changed(db, group, GEN_TODAY, intervention_id=edited)
            db.commit()
            assert _table(db) == {k: v for k, v in before.items() if k[1] != edited}
            assert len(_queue(db)) == len({p for p, _ in before})
            assert indicators.eligible_patient_ids(db, group, GEN_TODAY) == stored
            db.commit()
        eligibility.drain_queue(engine, GEN_TODAY)
        with Session(engine) as db:
            assert _table(db) == before and _queue(db) == {}
    finally:
        empty_database(engine)
