"""Regression tests for the defects found by probing the running app (issue 13, "Found"),
all through the HTTP client."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, func, select

from tests.leefstijl.helpers import make_intervention
from zelfzorg.accounts.models import CareGroup, User
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.leefstijl.models import Intervention
from zelfzorg.patients.models import Enrolment, Patient
from zelfzorg.telemonitoring import services as tm_services
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource

pytestmark = pytest.mark.usefixtures("no_csrf")
HUGE = str(2**64)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _count(db, model) -> int:
    # A separate short session: the test's own session keeps its objects loaded and holds
    # no SQLite write lock while the request runs.
    with Session(db.get_bind()) as fresh:
        return fresh.exec(select(func.count()).select_from(model)).one()


def _intervention_data(world, criteria: str) -> dict:
    return {
        "care_group_id": world.care_group.id,
        "name": "Groot getal",
        "kind": "gli",
        "description_nl": "Uitleg",
        "criteria": criteria,
        "programmes": ["DM2"],
        "active": "y",
    }


# --- huge numbers in lifestyle criteria ------------------------------------------------------
def test_huge_number_in_criteria_is_refused_by_the_form(db, world, login):
    client = login(world.admin)
    criteria = '{"measurement":"bmi","op":">=","value":1e25}'
    response = client.post("/beheer/leefstijl/nieuw", data=_intervention_data(world, criteria))
    assert response.status_code == 400
    assert "te groot" in _text(response)
    assert _count(db, Intervention) == 0


def test_pages_describing_stored_huge_criteria_still_render(db, world, login):
    # A value stored before the form check (or by another path) must not break any page.
    item = make_intervention(
        db, world.care_group.id, criteria={"measurement": "bmi", "op": ">=", "value": 1e25}
    )
    db.commit()
    admin = login(world.admin)
    assert admin.get(f"/beheer/leefstijl/{item.id}").status_code == 200
    assert login(world.poh).get(f"/patienten/{world.patient.id}/leefstijl").status_code == 200
    assert login(world.poh).get("/leefstijl/aanbod").status_code == 200


def test_deeply_nested_criteria_are_refused(db, world, login):
    criteria = "[" * 100_000 + "]" * 100_000
    response = login(world.admin).post(
        "/beheer/leefstijl/nieuw", data=_intervention_data(world, criteria)
    )
    assert response.status_code in (400, 413)
    assert _count(db, Intervention) == 0


# --- CSV formula injection ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x")', "+1+1", "-1+1", "@SUM(1+1)", "\t=1+1", "\r=1+1"]
)
def test_audit_export_neutralises_formulas(db, world, login, name):
    world.poh.name = name
    db.add(world.poh)
    db.commit()
    login(world.poh).get(f"/patienten/{world.patient.id}")
    response = login(world.admin).get("/beheer/audit.csv")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the accents
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    users = [r[3] for r in rows[1:] if r[3]]
    assert users and all(not u.startswith(("=", "+", "-", "@", "\t", "\r")) for u in users)
    assert any(u == "'" + name for u in users)


# --- ids beyond the database's integer range ---------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        f"/patienten/{HUGE}",
        f"/doelen/{HUGE}",
        f"/metingen/{HUGE}/corrigeren",
        f"/patienten/{2**31}/plan",
        "/patienten/١٢/plan",
    ],
)
def test_ids_out_of_range_are_not_found(world, login, path):
    assert login(world.poh).get(path).status_code == 404


def test_huge_version_in_hidden_field_is_no_500(db, world, login):
    item = make_intervention(db, world.care_group.id)
    db.commit()
    data = _intervention_data(world, '{"programme_in": ["DM2"]}') | {"version": HUGE}
    response = login(world.admin).post(f"/beheer/leefstijl/{item.id}", data=data)
    assert response.status_code in (400, 409)


@pytest.mark.parametrize("name", ["patient_id", "user_id"])
def test_huge_audit_filter_is_a_message(world, login, name):
    client = login(world.admin)
    for path in ("/beheer/audit", "/beheer/audit.csv"):
        response = client.get(path, query_string={name: HUGE})
        assert response.status_code == 400
        assert "Vul een geldig nummer in" in _text(response)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_extreme_history_date_is_refused(world, login, day):
    response = login(world.poh).get(
        f"/patienten/{world.patient.id}/plan/geschiedenis", query_string={"datum": day}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31"])
def test_extreme_audit_dates_are_refused(world, login, day):
    response = login(world.admin).get("/beheer/audit", query_string={"since": day})
    assert response.status_code == 400


# --- device API: dates, depth, size, NUL -------------------------------------------------------
def _token(db, world) -> str:
    token, _row = tm_services.create_device_token(
        db, world.actor(world.poh), world.patient.id, label="Meter"
    )
    db.commit()
    return token


def _reading(**changes) -> dict:
    reading = {
        "type_code": "weight",
        "value": 80,
        "unit": "kg",
        "measured_at": "2026-01-05T08:00:00+01:00",
        "source_id": "w-1",
    }
    return reading | changes


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1800-01-01T08:00:00+01:00",
        "1950-01-01T08:00:00+01:00",  # before the patient's birth (1955)
    ],
)
def test_device_api_refuses_implausible_dates(client, db, world, moment):
    token = _token(db, world)
    response = client.post(
        "/api/metingen",
        json={"readings": [_reading(measured_at=moment)]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"]
    assert _count(db, Measurement) == 0


def test_device_api_refuses_deep_json(client, db, world):
    token = _token(db, world)
    response = client.post(
        "/api/metingen",
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert "genest" in response.get_json()["error"]


def test_request_body_is_limited(client, db, world, login):
    token = _token(db, world)
    big = b'{"readings": [], "x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/metingen",
        data=big,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413
    assert "te groot" in response.get_json()["error"]
    page = login(world.poh).post("/patienten/nieuw", data={"given_name": "a" * (2 * 1024 * 1024)})
    assert page.status_code == 413
    assert "te groot" in _text(page)


def test_device_api_refuses_nul_in_source_id(client, db, world):
    token = _token(db, world)
    response = client.post(
        "/api/metingen",
        json={"readings": [_reading(source_id="w\x00-1")]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert _count(db, Measurement) == 0


@pytest.mark.parametrize("value", ["1_20", "١٢٠", "１２０", "1e2", "NaN", "Infinity"])
def test_device_api_refuses_number_quirks(client, db, world, value):
    token = _token(db, world)
    response = client.post(
        "/api/metingen",
        json={"readings": [_reading(value=value)]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert _count(db, Measurement) == 0


# --- NUL and control characters in forms -------------------------------------------------------
@pytest.mark.parametrize("bad", ["\x00", "Jan\x00", "Jan\x1b[31m", "Jan\x7f"])
def test_new_patient_refuses_control_characters(db, world, login, bad):
    before = _count(db, Patient)
    response = login(world.poh).post(
        "/patienten/nieuw",
        data={
            "given_name": bad,
            "family_name": "Jansen",
            "date_of_birth": "1960-01-01",
            "sex": "male",
        },
    )
    assert response.status_code == 400
    assert "onzichtbare tekens" in _text(response)
    assert _count(db, Patient) == before


def test_control_characters_get_an_english_message_for_english_users(db, world, login):
    world.poh.locale = "en"
    db.add(world.poh)
    db.commit()
    response = login(world.poh).post("/patienten/nieuw", data={"given_name": "\x00"})
    assert response.status_code == 400
    assert "invisible characters" in _text(response)


def test_admin_forms_refuse_nul(db, world, login):
    client = login(world.admin)
    groups = _count(db, CareGroup)
    users = _count(db, User)
    assert client.post("/beheer/zorggroepen/nieuw", data={"name": "G\x00"}).status_code == 400
    response = client.post(
        "/beheer/gebruikers/nieuw",
        data={
            "name": "N\x00",
            "email": "n@example.nl",
            "role": "admin",
            "password": "een-lang-wachtwoord-2026",
        },
    )
    assert response.status_code == 400
    assert _count(db, CareGroup) == groups and _count(db, User) == users


def test_reading_note_with_nul_is_refused(db, world, login):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw",
        data={"date": "2026-01-05", "time": "08:00", "weight": "80", "note": "n\x00"},
    )
    assert response.status_code == 400
    assert _count(db, Measurement) == 0


def test_text_areas_keep_tabs_and_new_lines(db, world, login):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw",
        data={"date": "2026-01-05", "time": "08:00", "weight": "80", "note": "a\tb\r\nc"},
    )
    assert response.status_code in (200, 302)
    assert _count(db, Measurement) == 1


# --- implausible dates in corrections and enrolments -------------------------------------------
def _measurement(db, world) -> Measurement:
    row = Measurement(
        patient_id=world.patient.id,
        type_code="weight",
        value=80.0,
        unit="kg",
        measured_at=datetime(2026, 1, 5, 7, 0, tzinfo=UTC),
        source=MeasurementSource.patient,
        entered_by_user_id=world.patient_user.id,
    )
    db.add(row)
    db.commit()
    return row


@pytest.mark.parametrize("day", ["0001-01-01", "1800-01-01", "1950-06-01"])
def test_correction_refuses_implausible_dates(db, world, login, day):
    row = _measurement(db, world)
    response = login(world.poh).post(
        f"/metingen/{row.id}/corrigeren",
        data={"value": "81", "date": day, "time": "08:00", "note": "typfout"},
    )
    assert response.status_code == 400
    assert _count(db, Measurement) == 1


@pytest.mark.parametrize("day", ["0001-01-01", "1800-01-01", "1950-06-01", "9999-12-31"])
def test_enrolment_refuses_implausible_dates(db, world, login, day):
    before = _count(db, Enrolment)
    response = login(world.poh).post(
        f"/patienten/{world.patient.id}/inschrijvingen",
        data={"programme": "COPD", "start_date": day},
        follow_redirects=True,
    )
    assert response.status_code == 400 or "Er is niets" in _text(response)
    assert _count(db, Enrolment) == before


# --- number quirks in forms --------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1_20", "١٢٠", "１２０", "1e2", "nan", "inf", "1" * 400])
def test_entry_refuses_number_quirks(db, world, login, value):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw",
        data={"date": "2026-01-05", "time": "08:00", "weight": value},
    )
    assert response.status_code == 400
    assert _count(db, Measurement) == 0


def test_entry_accepts_the_dutch_comma(db, world, login):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw",
        data={"date": "2026-01-05", "time": "08:00", "weight": "80,5"},
    )
    assert response.status_code in (200, 302)
    db.expire_all()
    assert db.exec(select(Measurement.value)).one() == 80.5


# --- audit accuracy of an unfinished questionnaire -------------------------------------------
def test_poh_opening_patients_draft_is_audited_denied(db, world, login):
    from zelfzorg.assessment import services as assessment_services

    # The experience questionnaire is the patient's own view: a POH may not open it.
    draft = assessment_services.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=1, now=datetime.now(UTC)
    )
    db.commit()
    response_id = draft.id
    response = login(world.poh).get(f"/vragenlijsten/antwoorden/{response_id}")
    assert response.status_code == 403
    db.expire_all()
    entries = db.exec(
        select(AuditEntry).where(
            AuditEntry.user_id == world.poh.id, AuditEntry.object_id == str(response_id)
        )
    ).all()
    assert entries and all(e.outcome == AuditOutcome.denied for e in entries)
