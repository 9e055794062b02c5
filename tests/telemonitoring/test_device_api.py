"""The device API's refused tokens: audited as denied, and throttled per client address."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlmodel import func, select

from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.audit.services import AuditSubject, compute_hash, record, verify
from zelfzorg.models_base import utcnow
from zelfzorg.telemonitoring import services
from zelfzorg.telemonitoring.models import Measurement
from zelfzorg.telemonitoring.views import DEVICE_THROTTLE_LIMIT

GUESS = "zzd_not-a-real-token-guess-4711"
BODY = {
    "readings": [
        {
            "type_code": "weight",
            "value": 80,
            "unit": "kg",
            "measured_at": "2026-01-05T08:00:00+01:00",
            "source_id": "w-1",
        }
    ]
}
OTHER_ADDRESS = {"REMOTE_ADDR": "192.0.2.77"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(db, world) -> str:
    token, _row = services.create_device_token(
        db, world.actor(world.poh), world.patient.id, label="Meter"
    )
    db.commit()
    return token


def device_entries(db) -> list[AuditEntry]:
    db.expire_all()
    rows = list(
        db.exec(
            select(AuditEntry)
            .where(AuditEntry.role == "device", AuditEntry.object_type == "DeviceToken")
            .order_by(AuditEntry.id)
        ).all()
    )
    db.rollback()  # end the read transaction before the next request (SQLite write lock)
    return rows


def line_text(entry: AuditEntry) -> str:
    return " ".join(str(getattr(entry, c.name)) for c in AuditEntry.__table__.columns)


def rows_stored(db) -> int:
    db.expire_all()
    n = db.exec(select(func.count()).select_from(Measurement)).one()
    db.rollback()
    return n


def test_an_invalid_token_is_refused_and_audited_without_the_token(app, db, world, client):
    response = client.post("/api/metingen", json=BODY, headers=bearer(GUESS))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    [entry] = device_entries(db)
    assert entry.outcome == AuditOutcome.denied and entry.action == AuditAction.create
    assert entry.object_type == "DeviceToken" and entry.object_id is None
    assert (entry.user_id, entry.user_name, entry.organisation) == (None, "device", "")
    assert entry.detail == "invalid token" and entry.client_address == "127.0.0.1"
    assert entry.patient_id is None
    # Neither the token nor a prefix of it appears in any field of the line.
    assert GUESS[:12] not in line_text(entry)
    assert entry.hash == compute_hash(entry) and verify(db).ok
    db.rollback()


def test_missing_and_revoked_tokens_are_audited_with_their_reason(app, db, world, client, login):
    token = token_for(db, world)
    row = services.patient_for_token(db, token)[1]
    services.revoke_device_token(db, world.actor(world.poh), world.patient.id, row.id)
    db.commit()
    assert client.post("/api/metingen", json=BODY).status_code == 401
    assert client.post("/api/metingen", json=BODY, headers=bearer("")).status_code == 401
    # A logged-in session is no device token either.
    assert login(world.patient_user).post("/api/metingen", json=BODY).status_code == 401
    assert client.post("/api/metingen", json=BODY, headers=bearer(token)).status_code == 401
    assert client.post("/api/metingen", json=BODY, headers=bearer("x" * 300)).status_code == 401
    entries = device_entries(db)
    assert [e.detail for e in entries] == [
        "missing token",
        "missing token",
        "missing token",
        "revoked token",
        "invalid token",
    ]
    assert entries[3].object_id == str(row.id)
    assert all(token[4:16] not in line_text(e) for e in entries)
    assert rows_stored(db) == 0


def test_the_eleventh_refusal_in_a_minute_gets_429_and_no_log_line(app, db, world, client):
    for i in range(DEVICE_THROTTLE_LIMIT):
        response = client.post("/api/metingen", json=BODY, headers=bearer(f"{GUESS}-{i}"))
        assert response.status_code == 401, i
    throttled = client.post("/api/metingen", json=BODY, headers=bearer(GUESS))
    assert throttled.status_code == 429
    assert throttled.json == {"error": "too_many_attempts"}
    assert throttled.headers["Retry-After"] == "60"
    # Even a valid token is refused from an address that is guessing.
    token = token_for(db, world)
    assert client.post("/api/metingen", json=BODY, headers=bearer(token)).status_code == 429
    assert len(device_entries(db)) == DEVICE_THROTTLE_LIMIT
    assert rows_stored(db) == 0
    # Another address is not affected.
    other = client.post(
        "/api/metingen", json=BODY, headers=bearer(token), environ_base=OTHER_ADDRESS
    )
    assert other.status_code == 201 and other.json["stored"] == 1
    assert rows_stored(db) == 1
    # Once the window has passed, the address may try again (and is audited again).
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=True):
        again = client.post("/api/metingen", json=BODY, headers=bearer(token))
        assert again.status_code == 200 and again.json["duplicates"] == 1
        assert client.post("/api/metingen", json=BODY, headers=bearer(GUESS)).status_code == 401
    assert len(device_entries(db)) == DEVICE_THROTTLE_LIMIT + 1


def test_only_recent_device_refusals_from_that_address_count(app, db, world, client):
    now = utcnow()

    def seed(n: int, *, role: str = "device", address: str = "127.0.0.1", ago: int = 5) -> None:
        subject = AuditSubject(None, role, role, "", address)
        for _ in range(n):
            record(
                db,
                subject,
                action=AuditAction.create,
                object_type="DeviceToken",
                outcome=AuditOutcome.denied,
                detail="invalid token",
                at=now - timedelta(seconds=ago),
            )

    seed(DEVICE_THROTTLE_LIMIT, ago=61)  # outside the window
    seed(DEVICE_THROTTLE_LIMIT, address="192.0.2.77")  # another address
    seed(DEVICE_THROTTLE_LIMIT, role="professional")  # a professional refused a page
    seed(DEVICE_THROTTLE_LIMIT - 1)
    db.commit()
    token = token_for(db, world)
    assert client.post("/api/metingen", json=BODY, headers=bearer(token)).status_code == 201
    assert client.post("/api/metingen", json=BODY, headers=bearer(GUESS)).status_code == 401
    assert client.post("/api/metingen", json=BODY, headers=bearer(token)).status_code == 429
