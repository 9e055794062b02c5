"""``measurement_latest``, kept by triggers on ``measurement`` (migration 0030): after any mix of
inserts, corrections, updates and deletes it holds exactly each pair's newest current reading,
as a window function over ``measurement`` finds it; on PostgreSQL two transactions adding
readings of one pair at once keep the newer."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from tests.telemonitoring.latest_helpers import kept, truth
from zelfzorg.privacy import erasure
from zelfzorg.telemonitoring import services
from zelfzorg.telemonitoring.models import Measurement, MeasurementLatest
from zelfzorg.telemonitoring.services import ReadingsInput

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def insert(session, patient_id: int, code: str, at: datetime, value=None, value_code=None):
    table = Measurement.__table__
    return session.execute(
        sa.insert(table)
        .values(
            patient_id=patient_id,
            type_code=code,
            value=value,
            value_code=value_code,
            unit="kg",
            measured_at=at,
            source="device",
            created_at=NOW,
        )
        .returning(table.c.id)
    ).scalar_one()


def test_random_inserts_corrections_updates_and_deletes_keep_the_newest_reading(db, world):
    rng = random.Random(7)
    patients = [world.patient.id, world.other_patient.id]
    table = Measurement.__table__
    ids: list[int] = []
    for step in range(300):
        action = rng.random()
        if action < 0.45 or not ids:
            pid, code = rng.choice(patients), rng.choice(["weight", "hba1c", "smoking"])
            at = NOW - timedelta(days=rng.randrange(30), hours=rng.randrange(3))
            coded = code == "smoking"
            # Now and then several rows in one statement (a bulk insert), at the same moment.
            for _ in range(rng.choice([1, 1, 3])):
                ids.append(
                    insert(
                        db,
                        pid,
                        code,
                        at,
                        value=None if coded else rng.randrange(40, 90),
                        value_code=rng.choice(["current", "former"]) if coded else None,
                    )
                )
        elif action < 0.65:  # a correction: the old version superseded
            db.execute(
                sa.update(table).where(table.c.id == rng.choice(ids)).values(superseded_at=NOW)
            )
        elif action < 0.75:  # a reading moved in time (no writer does it; SQL by hand may)
            db.execute(
                sa.update(table)
                .where(table.c.id == rng.choice(ids))
                .values(measured_at=NOW - timedelta(days=rng.randrange(60)))
            )
        elif action < 0.82:  # a value taken away: no longer a reading with a value
            db.execute(
                sa.update(table)
                .where(table.c.id == rng.choice(ids), table.c.type_code != "smoking")
                .values(value=None)
            )
        elif action < 0.9:  # an update of every row of a patient (erasure's supersedes_id)
            db.execute(
                sa.update(table)
                .where(table.c.patient_id == rng.choice(patients))
                .values(supersedes_id=None)
            )
        else:
            gone = rng.sample(ids, min(len(ids), rng.choice([1, 4])))
            db.execute(sa.delete(table).where(table.c.id.in_(gone)))
            ids = [i for i in ids if i not in gone]
        assert kept(db) == truth(db), f"after step {step}"
    assert kept(db)  # the run left readings to compare


def test_the_services_record_correct_and_erase_keep_it(db, world):
    actor = world.actor(world.patient_user)

    def enter(at, weight):
        data = ReadingsInput(values={"weight": str(weight)}, measured_at=at)
        result = services.record_readings(db, actor, world.patient.id, data, now=NOW)
        return result.measurements[0]

    first = enter(NOW - timedelta(days=2), 80)
    newest = enter(NOW - timedelta(days=1), 81)
    enter(NOW - timedelta(days=3), 79)  # older: the newest stays
    latest = db.get(MeasurementLatest, (world.patient.id, "weight"))
    assert (latest.measurement_id, latest.value) == (newest.id, 81)

    corrected = services.correct_measurement(
        db,
        world.actor(world.poh),
        newest.id,
        value="82",
        measured_at=newest.measured_at,
        note="typefout",
        now=NOW,
    )
    db.expire_all()
    latest = db.get(MeasurementLatest, (world.patient.id, "weight"))
    assert (latest.measurement_id, latest.value) == (corrected.id, 82)
    assert kept(db) == truth(db)
    assert first.id != latest.measurement_id

    erasure.erase_patient_data(db, world.patient.id, now=NOW)
    assert not [row for row in kept(db) if row[0] == world.patient.id]
    assert kept(db) == truth(db)


def test_two_transactions_adding_readings_of_one_pair_keep_the_newer(engine, world):
    """T1 adds the newer reading and holds the pair's row; T2 adds an older one with a statement
    snapshot that does not see T1's (PostgreSQL: it waits on the row; SQLite: on the write
    lock) and, once T1 commits, must not put its older reading over T1's (a recompute from T2's
    snapshot would)."""
    pid = world.patient.id
    with Session(engine) as setup:
        insert(setup, pid, "weight", NOW - timedelta(days=5), value=70)
        setup.commit()
    first = Session(engine)
    second = Session(engine)
    newer = insert(first, pid, "weight", NOW, value=75)
    done = threading.Event()

    def older():
        insert(second, pid, "weight", NOW - timedelta(days=1), value=72)
        second.commit()
        done.set()

    thread = threading.Thread(target=older)
    thread.start()
    assert not done.wait(0.5), "T2 should wait for T1"
    first.commit()
    thread.join(10)
    assert done.is_set()
    first.close()
    second.close()
    with Session(engine) as check:
        latest = check.get(MeasurementLatest, (pid, "weight"))
        assert (latest.measurement_id, latest.value) == (newer, 75)
        assert kept(check) == truth(check)
