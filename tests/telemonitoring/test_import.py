"""CSV import (CLI) and the device API: idempotent, all-or-nothing unless partial."""

from __future__ import annotations

from sqlmodel import func, select

from zelfzorg.telemonitoring import services
from zelfzorg.telemonitoring.models import Alert, Measurement

HEADER = "patient_id,practice,his_number,type_code,loinc,value,unit,measured_at,source_id\n"


def rows_stored(db) -> int:
    db.expire_all()
    n = db.exec(select(func.count()).select_from(Measurement)).one()
    db.rollback()  # every SQLite transaction takes the write lock: end it before the next request
    return n


def write_csv(tmp_path, world, lines: list[str]):
    path = tmp_path / "readings.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def good_lines(world) -> list[str]:
    pid = world.patient.id
    return [
        f"{pid},,,bp_systolic,,132,mm[Hg],2026-01-05T08:00:00+01:00,dev-1",
        f"{pid},,,,8462-4,84,mm[Hg],2026-01-05T08:00:00+01:00,dev-2",
        f",{world.practice.id},,weight,,80.5,kg,2026-01-05T08:05:00,dev-3".replace(
            f",{world.practice.id},,", f",{world.practice.id},HIS1,"
        ),
    ]


def test_same_file_twice_gives_the_same_rows(app, db, world, runner, tmp_path):
    world.patient.his_number = "HIS1"
    db.add(world.patient)
    db.commit()
    path = write_csv(tmp_path, world, good_lines(world))
    first = runner.invoke(args=["zelfzorg", "import-measurements", str(path)])
    assert first.exit_code == 0, first.output
    assert "Stored 3 reading(s)" in first.output
    second = runner.invoke(args=["zelfzorg", "import-measurements", str(path)])
    assert second.exit_code == 0, second.output
    assert "Stored 0 reading(s); 3 already present" in second.output
    assert rows_stored(db) == 3


def test_one_bad_row_stores_nothing_and_names_its_line(app, db, world, runner, tmp_path):
    lines = good_lines(world)[:2] + [
        f"{world.patient.id},,,bp_systolic,,400,mm[Hg],2026-01-05T09:00:00Z,dev-9"
    ]
    path = write_csv(tmp_path, world, lines)
    result = runner.invoke(args=["zelfzorg", "import-measurements", str(path)])
    assert result.exit_code == 1
    assert "line 4:" in result.output and "kan niet kloppen" in result.output
    assert "Nothing stored" in result.output
    assert rows_stored(db) == 0


def test_partial_stores_good_rows_and_lists_bad_ones(app, db, world, runner, tmp_path):
    pid = world.patient.id
    lines = good_lines(world)[:2] + [
        f"{pid},,,glucose,,126,mmol/L,2026-01-05T09:00:00Z,g-1",
        f"{pid},,,glucose,,7,mg/dL,2026-01-05T09:00:00Z,g-2",
        "999999,,,weight,,80,kg,2026-01-05T09:00:00Z,w-1",
        f"{pid},,,weight,,80,kg,2099-01-05T09:00:00Z,w-2",
        f"{pid},,,weight,,80,kg,not-a-date,w-3",
    ]
    path = write_csv(tmp_path, world, lines)
    result = runner.invoke(args=["zelfzorg", "import-measurements", str(path), "--partial"])
    assert result.exit_code == 0, result.output
    assert "Stored 2 reading(s)" in result.output and "5 bad row(s)" in result.output
    for line in ("line 4:", "line 5:", "line 6:", "line 7:", "line 8:"):
        assert line in result.output
    assert "mg/dL" in result.output
    assert rows_stored(db) == 2


def test_an_imported_urgent_value_opens_an_alert(app, db, world, runner, tmp_path):
    from zelfzorg.models_base import utcnow

    now = utcnow().isoformat()
    pid = world.patient.id
    path = write_csv(tmp_path, world, [f"{pid},,,bp_systolic,,200,mm[Hg],{now},u-1"])
    assert runner.invoke(args=["zelfzorg", "import-measurements", str(path)]).exit_code == 0
    db.expire_all()
    alert = db.exec(select(Alert).where(Alert.severity == "urgent")).one()
    # The alert points at the reading that raised it, as one raised by entry does.
    stored = db.exec(select(Measurement).where(Measurement.source_id == "u-1")).one()
    assert (alert.measurement_id, alert.last_value) == (stored.id, 200)


# --- device API ---------------------------------------------------------------------------------


def token_for(db, world) -> str:
    token, _row = services.create_device_token(
        db, world.actor(world.poh), world.patient.id, label="Meter"
    )
    db.commit()
    return token


def reading(source_id: str, value: float = 128, code: str = "bp_systolic") -> dict:
    unit = {"bp_systolic": "mm[Hg]", "weight": "kg"}[code]
    return {
        "type_code": code,
        "value": value,
        "unit": unit,
        "measured_at": "2026-01-05T08:00:00+01:00",
        "source_id": source_id,
    }


def test_device_posts_readings_once_however_often_sent(app, db, world, client):
    token = token_for(db, world)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"readings": [reading("a"), reading("b", 80, "weight")]}
    first = client.post("/api/metingen", json=body, headers=headers)
    assert first.status_code == 201 and first.json["stored"] == 2
    again = client.post("/api/metingen", json=body, headers=headers)
    assert again.status_code == 200 and again.json == {"stored": 0, "duplicates": 2, "errors": []}
    assert rows_stored(db) == 2
    row = db.exec(select(Measurement).where(Measurement.source_id == "a")).one()
    assert row.patient_id == world.patient.id and row.source == "device"


def test_device_batch_with_a_bad_reading_stores_nothing_unless_partial(app, db, world, client):
    headers = {"Authorization": f"Bearer {token_for(db, world)}"}
    body = {"readings": [reading("a"), reading("b", 400)]}
    refused = client.post("/api/metingen", json=body, headers=headers)
    assert refused.status_code == 400
    assert refused.json["stored"] == 0 and refused.json["errors"][0]["line"] == 2
    assert rows_stored(db) == 0
    partial = client.post("/api/metingen", json={**body, "partial": True}, headers=headers)
    assert partial.status_code == 201 and partial.json["stored"] == 1
    assert len(partial.json["errors"]) == 1


def test_device_api_needs_a_valid_token(app, db, world, client, login):
    body = {"readings": [reading("a")]}
    assert client.post("/api/metingen", json=body).status_code == 401
    bad = {"Authorization": "Bearer nonsense"}
    assert client.post("/api/metingen", json=body, headers=bad).status_code == 401
    # A logged-in session is no device token.
    assert login(world.patient_user).post("/api/metingen", json=body).status_code == 401
    token = token_for(db, world)
    services.revoke_device_token(
        db,
        world.actor(world.poh),
        world.patient.id,
        services.patient_for_token(db, token)[1].id,
    )
    db.commit()
    revoked = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/metingen", json=body, headers=revoked).status_code == 401
    assert rows_stored(db) == 0


def test_a_device_cannot_post_for_another_patient(app, db, world, client):
    headers = {"Authorization": f"Bearer {token_for(db, world)}"}
    body = {"readings": [{**reading("a"), "patient_id": world.other_patient.id}]}
    response = client.post("/api/metingen", json=body, headers=headers)
    assert response.status_code == 400 and rows_stored(db) == 0


def test_device_api_refuses_malformed_json(app, db, world, client):
    headers = {"Authorization": f"Bearer {token_for(db, world)}"}
    assert client.post("/api/metingen", data="x", headers=headers).status_code == 400
    assert client.post("/api/metingen", json={"readings": []}, headers=headers).status_code == 400
    odd = client.post("/api/metingen", json={"readings": [1, "x"]}, headers=headers)
    assert odd.status_code == 400 and len(odd.json["errors"]) == 2


# --- blood pressure pairs and the language of the messages ---------------------------------------


def test_systolic_and_diastolic_rows_of_one_reading_are_checked_as_a_pair(
    app, db, world, runner, tmp_path
):
    pid = world.patient.id
    path = tmp_path / "pairs.csv"
    path.write_text(
        "patient_id,type_code,value,unit,measured_at,source_id,reading_id\n"
        f"{pid},bp_systolic,80,mm[Hg],2026-01-05T08:00:00+01:00,s-1,\n"
        f"{pid},bp_diastolic,120,mm[Hg],2026-01-05T08:00:00+01:00,d-1,\n"
        f"{pid},bp_systolic,135,mm[Hg],2026-01-06T08:00:00+01:00,s-2,r-2\n"
        f"{pid},bp_diastolic,85,mm[Hg],2026-01-06T08:00:30+01:00,d-2,r-2\n"
        f"{pid},bp_systolic,90,mm[Hg],2026-01-07T08:00:00+01:00,s-3,r-3\n"
        f"{pid},bp_diastolic,95,mm[Hg],2026-01-07T08:00:30+01:00,d-3,r-3\n",
        encoding="utf-8",
    )
    refused = runner.invoke(args=["zelfzorg", "import-measurements", str(path)])
    assert refused.exit_code == 1 and rows_stored(db) == 0
    assert "line 3: De onderdruk (120 mmHg) moet lager zijn dan de bovendruk van regel 2" in (
        refused.output
    )
    assert "line 2: Hoort bij de afgekeurde bloeddruk van regel 3." in refused.output
    assert "line 7: De onderdruk (95 mmHg)" in refused.output
    partial = runner.invoke(args=["zelfzorg", "import-measurements", str(path), "--partial"])
    assert partial.exit_code == 0 and "Stored 2 reading(s)" in partial.output
    db.expire_all()
    pair = db.exec(select(Measurement).order_by(Measurement.type_code.desc())).all()
    assert [(r.type_code, r.value) for r in pair] == [("bp_systolic", 135), ("bp_diastolic", 85)]
    assert pair[0].reading_id == pair[1].reading_id is not None  # corrections see the pair
    db.rollback()


def test_the_device_api_checks_a_pair_sent_as_two_readings(app, db, world, client):
    headers = {"Authorization": f"Bearer {token_for(db, world)}"}
    diastolic = {**reading("b", 130), "type_code": "bp_diastolic"}
    response = client.post(
        "/api/metingen", json={"readings": [reading("a", 90), diastolic]}, headers=headers
    )
    assert response.status_code == 400 and rows_stored(db) == 0
    assert [e["line"] for e in response.json["errors"]] == [1, 2]


def test_import_reasons_can_be_given_in_english(app, db, world, runner, tmp_path):
    pid = world.patient.id
    path = write_csv(tmp_path, world, [f"{pid},,,bp_systolic,,400,mm[Hg],2026-01-05T09:00:00Z,x"])
    result = runner.invoke(args=["zelfzorg", "import-measurements", str(path), "--lang", "en"])
    assert result.exit_code == 1 and "line 2: 400 mmHg cannot be right" in result.output
    assert "kan niet kloppen" not in result.output
