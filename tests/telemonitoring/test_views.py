"""Telemonitoring pages through the HTTP client."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import func, select

from zelfzorg.telemonitoring.models import Alert, Measurement, PersonalTarget

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def release(db) -> None:
    """End the test session's transaction (SQLite: it holds the write lock); keep the objects."""
    db.expunge_all()
    db.rollback()


def stored(db) -> int:
    n = db.exec(select(func.count()).select_from(Measurement)).one()
    release(db)
    return n


def now_fields(delta: timedelta = timedelta(0)) -> dict:
    local = datetime.now(AMSTERDAM) - timedelta(minutes=10) + delta
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M")}


def test_entry_form_defaults_to_now_in_dutch_time(app, world, login):
    page = login(world.patient_user).get("/mijn/metingen/nieuw")
    assert page.status_code == 200
    assert datetime.now(AMSTERDAM).date().isoformat() in page.text
    assert 'inputmode="decimal"' in page.text and 'name="systolic"' in page.text


def test_patient_enters_a_blood_pressure(app, db, world, login, no_csrf):
    client = login(world.patient_user)
    response = client.post(
        "/mijn/metingen/nieuw", data={**now_fields(), "systolic": "135", "diastolic": "85"}
    )
    assert response.status_code == 302
    assert stored(db) == 2
    page = client.get("/mijn/metingen")
    assert "135 mmHg" in page.text and "&lt; 140 mmHg" in page.text


def test_systolic_400_is_refused_with_a_clear_message(app, db, world, login, no_csrf):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw",
        data={**now_fields(), "systolic": "400", "diastolic": "80", "weight": "80"},
    )
    assert response.status_code == 400
    assert "400 mmHg kan niet kloppen" in response.text and 'role="alert"' in response.text
    assert stored(db) == 0


def test_diastolic_above_systolic_is_refused(app, db, world, login, no_csrf):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw", data={**now_fields(), "systolic": "80", "diastolic": "120"}
    )
    assert response.status_code == 400 and "omgewisseld" in response.text
    assert stored(db) == 0


def test_a_weight_jump_asks_klopt_dit_before_storing(app, db, world, login, no_csrf):
    client = login(world.patient_user)
    earlier = {**now_fields(timedelta(days=-1)), "weight": "80"}
    assert client.post("/mijn/metingen/nieuw", data=earlier).status_code == 302
    typed = {**now_fields(), "weight": "95", "note": "na vakantie"}
    question = client.post("/mijn/metingen/nieuw", data=typed)
    assert question.status_code == 200 and stored(db) == 1
    page = question.text
    assert "Klopt dit?" in page and "Ja, dit klopt: opslaan" in page
    assert 'value="95"' in page and "na vakantie" in page  # what was typed is kept
    token = page.split('name="confirm" value="')[1].split('"')[0]
    # A changed value is checked again, not stored on the old confirmation.
    changed = client.post("/mijn/metingen/nieuw", data={**typed, "weight": "96", "confirm": token})
    assert changed.status_code == 200 and "Ja, dit klopt" in changed.text and stored(db) == 1
    done = client.post("/mijn/metingen/nieuw", data={**typed, "confirm": token})
    assert done.status_code == 302 and stored(db) == 2


def test_future_date_is_refused(app, db, world, login, no_csrf):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw", data={**now_fields(timedelta(days=2)), "weight": "80"}
    )
    assert response.status_code == 400 and "in de toekomst" in response.text
    assert stored(db) == 0


def test_glucose_in_mg_dl_is_explained(app, db, world, login, no_csrf):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw", data={**now_fields(), "glucose": "126"}
    )
    assert response.status_code == 400 and "mg/dL" in response.text and "7,0" in response.text
    assert stored(db) == 0


def test_messages_are_in_english_for_english_users(app, db, world, login, no_csrf):
    world.patient_user.locale = "en"
    db.add(world.patient_user)
    db.commit()
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw", data={**now_fields(), "glucose": "126"}
    )
    assert response.status_code == 400 and "7.0" in response.text


def test_entry_without_csrf_token_is_refused(app, db, world, login):
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw", data={**now_fields(), "weight": "80"}
    )
    assert response.status_code == 400 and stored(db) == 0


def test_professional_enters_and_corrects_for_a_patient(app, db, world, login, no_csrf):
    client = login(world.poh)
    pid = world.patient.id
    response = client.post(
        f"/patienten/{pid}/metingen/nieuw", data={**now_fields(), "weight": "80"}
    )
    assert response.status_code == 302
    row = db.exec(select(Measurement)).one()
    release(db)
    assert row.source == "professional" and row.entered_by_id == world.poh.id
    form = client.get(f"/metingen/{row.id}/corrigeren")
    assert form.status_code == 200 and 'value="80,0"' in form.text
    corrected = client.post(
        f"/metingen/{row.id}/corrigeren", data={**now_fields(), "value": "82", "note": "weegschaal"}
    )
    assert corrected.status_code == 302
    rows = db.exec(select(Measurement).order_by(Measurement.id)).all()
    release(db)
    assert [r.value for r in rows] == [80.0, 82.0] and rows[0].superseded_at is not None
    again = client.post(
        f"/metingen/{row.id}/corrigeren", data={**now_fields(), "value": "83", "note": "x"}
    )
    assert again.status_code == 409 and "al gecorrigeerd" in again.text


def test_poh_sets_a_personal_target_shown_with_the_values(app, db, world, login, no_csrf):
    client = login(world.poh)
    pid = world.patient.id
    bad = client.post(
        f"/patienten/{pid}/streefwaarden",
        data={"type_code": "bp_systolic", "comparator": "<", "high": "abc"},
    )
    assert bad.status_code == 400 and "Vul een getal in" in bad.text
    ok = client.post(
        f"/patienten/{pid}/streefwaarden",
        data={"type_code": "bp_systolic", "comparator": "<", "high": "150"},
    )
    assert ok.status_code == 302
    assert db.exec(select(func.count()).select_from(PersonalTarget)).one() == 1
    release(db)
    client.post(
        f"/patienten/{pid}/metingen/nieuw",
        data={**now_fields(), "systolic": "145", "diastolic": "85"},
    )
    page = client.get(f"/patienten/{pid}/metingen")
    assert "&lt; 150 mmHg" in page.text and "persoonlijk" in page.text
    assert "binnen streefdoel" in page.text


def test_chart_page_has_svg_and_a_table_of_the_same_data(app, db, world, login, no_csrf):
    client = login(world.patient_user)
    for days, value in ((3, "7,5"), (2, "9,5"), (1, "8,0")):
        client.post(
            "/mijn/metingen/nieuw",
            data={**now_fields(-timedelta(days=days)), "glucose_fasting": value},
        )
    page = client.get("/mijn/metingen/grafiek/glucose_fasting?periode=maand")
    assert page.status_code == 200
    assert "<svg" in page.text and "<title" in page.text and "<caption>" in page.text
    assert page.text.count("<tr><td>") == 3 and "9,5" in page.text
    assert client.get("/mijn/metingen/grafiek/smoking_status").status_code == 404
    assert client.get("/mijn/metingen/grafiek/nonsense").status_code == 404


def test_poh_sees_and_acknowledges_the_alert(app, db, world, login, no_csrf):
    login(world.patient_user).post(
        "/mijn/metingen/nieuw", data={**now_fields(), "systolic": "190", "diastolic": "100"}
    )
    alert = db.exec(select(Alert)).one()
    release(db)
    poh = login(world.poh)
    worklist = poh.get("/werklijst")
    assert f"/signalen/{alert.id}" in worklist.text and "Zeer hoge waarde" in worklist.text
    page = poh.get(f"/signalen/{alert.id}")
    assert page.status_code == 200 and "190 mmHg" in page.text
    empty = poh.post(f"/signalen/{alert.id}/afhandelen", data={"note": ""})
    assert empty.status_code == 400 and "Schrijf kort op" in empty.text
    done = poh.post(f"/signalen/{alert.id}/afhandelen", data={"note": "Patiënt gebeld"})
    assert done.status_code == 302
    alert = db.get(Alert, alert.id)
    assert alert.status == "acknowledged" and alert.note == "Patiënt gebeld"
    release(db)
    assert f"/signalen/{alert.id}" not in poh.get("/werklijst").text
    twice = poh.post(f"/signalen/{alert.id}/afhandelen", data={"note": "nog eens"})
    assert twice.status_code == 409


def test_poh_creates_a_device_token_shown_once(app, db, world, login, no_csrf):
    client = login(world.poh)
    pid = world.patient.id
    response = client.post(f"/patienten/{pid}/apparaten", data={"label": "Bloeddrukmeter"})
    assert response.status_code == 302
    first = client.get(f"/patienten/{pid}/metingen")
    assert "zzd_" in first.text
    assert "zzd_" not in client.get(f"/patienten/{pid}/metingen").text


def test_empty_overview_says_so(app, world, login):
    page = login(world.patient_user).get("/mijn/metingen")
    assert page.status_code == 200 and "Nog geen metingen." in page.text


def test_the_urgent_alert_notification_links_to_the_alert(app, db, world, login, no_csrf):
    patient = login(world.patient_user)
    bp = {**now_fields(), "systolic": "190", "diastolic": "95"}
    assert patient.post("/mijn/metingen/nieuw", data=bp).status_code == 302
    alert = db.exec(select(Alert)).one()
    release(db)
    page = login(world.poh).get("/meldingen").text
    assert "Dringend signaal bij Gerda Willemsen" in page
    assert f'href="/signalen/{alert.id}"' in page


def test_an_empty_chart_says_what_to_do(app, db, world, login, no_csrf):
    client = login(world.patient_user)
    empty = client.get("/mijn/metingen/grafiek/weight?periode=week").text
    assert "Nog geen metingen in deze periode." in empty and 'href="/mijn/metingen/nieuw"' in empty
    old = {**now_fields(timedelta(days=-40)), "weight": "80"}
    assert client.post("/mijn/metingen/nieuw", data=old).status_code == 302
    week = client.get("/mijn/metingen/grafiek/weight?periode=week").text
    assert "kies een langere periode" in week
    assert "80,0" in client.get("/mijn/metingen/grafiek/weight?periode=jaar").text


def test_entry_and_correction_pages_lead_back_to_the_measurements(app, db, world, login):
    page = login(world.poh).get(f"/patienten/{world.patient.id}/metingen/nieuw").text
    assert f'href="/patienten/{world.patient.id}/metingen">Terug naar de metingen' in page
