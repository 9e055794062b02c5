"""HTTP: the data PDF (patient and POH) and the erasure workflow through the pages."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import insert
from sqlmodel import select

from tests.izp.helpers import active_goal
from tests.privacy.helpers import second_poh
from tests.test_pdf import counting_server  # noqa: F401  (fixture)
from zelfzorg import pdf as pdf_module
from zelfzorg.accounts.models import User
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.audit.services import verify
from zelfzorg.izp.models import CarePlan, GoalAction, GoalReview
from zelfzorg.patients.models import Patient
from zelfzorg.privacy.export import RECENT_DAYS
from zelfzorg.privacy.models import ErasureRequest, ErasureStatus
from zelfzorg.telemonitoring.models import Measurement

REASON = "Ik wil niet dat mijn gegevens hier blijven."


def pdf_text(body: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(p.extract_text() for p in reader.pages), len(reader.pages)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def add_readings(db, patient_id: int, *, years: int, per_day: int, now: datetime) -> int:
    """Glucose readings every 24/per_day hours for ``years`` up to ``now`` (bulk insert)."""
    step = timedelta(hours=24 / per_day)
    moment, rows = now - timedelta(days=365 * years), []
    while moment < now:
        rows.append(
            {"patient_id": patient_id, "type_code": "glucose", "value": 6.0 + len(rows) % 30 / 10,
             "unit": "mmol/L", "measured_at": moment, "source": "device", "note": "",
             "source_id": uuid.uuid4().hex, "created_at": moment}
        )  # fmt: skip
        moment += step
    db.execute(insert(Measurement), rows)
    return len(rows)


# --- the data PDF ------------------------------------------------------------------------------


def test_patient_downloads_all_their_data_as_a_pdf_and_it_is_audited(db, world, login):
    goal = active_goal(db, world)
    db.add(GoalAction(goal_id=goal.id, patient_id=world.patient.id, what="Elke dag wandelen"))
    db.add(
        GoalReview(
            goal_id=goal.id, patient_id=world.patient.id, progress={}, patient_helped="Mijn hond",
            reviewed_at=datetime.now(UTC),
        )
    )  # fmt: skip
    db.commit()
    response = login(world.patient_user).get("/mijn/gegevens.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, _pages = pdf_text(response.data)
    for section in (
        "Mijn gegevens in Zelfzorg", "Wie u bent", "Aandoeningen en zorgprogramma's",
        "Mijn zorgplan", "Mijn doelen", "Geschiedenis van mijn zorgplan", "Mijn metingen",
        "Vragenlijsten", "Leefstijlprogramma's", "Berichten aan mij", "Wie mijn gegevens bekeek",
    ):  # fmt: skip
        assert section in text, section
    assert "Willemsen" in text and goal.title in text and "Elke dag wandelen" in text
    assert "Mijn hond" in text
    [entry] = db.exec(select(AuditEntry).where(AuditEntry.object_type == "PatientData")).all()
    assert (entry.action, entry.patient_id, entry.outcome) == (
        "export",
        world.patient.id,
        "allowed",
    )


def test_years_of_telemonitoring_give_a_bounded_pdf_with_the_rule_stated(db, world, login):
    now = datetime.now(UTC)
    total = add_readings(db, world.patient.id, years=5, per_day=4, now=now)
    db.commit()
    response = login(world.patient_user).get("/mijn/gegevens.pdf")
    text, pages = pdf_text(response.data)
    assert total > 7000
    # 90 days x 4 readings listed one by one, 57 months summarised: not 7,300 table rows.
    assert pages < 30, pages
    assert f"elke meting van de laatste {RECENT_DAYS} dagen" in text
    assert "Per maand, van de tijd daarvoor" in text
    assert str((now - timedelta(days=365 * 4)).year) in text
    assert f"{total:,}".replace(",", ".") in text  # the count per type, Dutch digit grouping


def test_the_pdf_fetches_nothing_remote(db, world, login, counting_server, monkeypatch):  # noqa: F811
    url, requests = counting_server
    db.add(CarePlan(patient_id=world.patient.id, what_matters=f'<img src="{url}/x.png"> Tuinieren'))
    db.commit()
    fetched = []
    original = pdf_module.StaticOnlyURLFetcher.fetch
    monkeypatch.setattr(
        pdf_module.StaticOnlyURLFetcher,
        "fetch",
        lambda self, u, headers=None: fetched.append(u) or original(self, u, headers),
    )
    response = login(world.patient_user).get("/mijn/gegevens.pdf")
    text, _pages = pdf_text(response.data)
    assert "Tuinieren" in text and requests == []
    assert all(u.startswith("data:") or "/static/" in u for u in fetched), fetched


def test_english_patient_gets_english_and_the_poh_can_hand_it_over(db, world, login):
    world.patient_user.locale = "en"
    db.add(world.patient_user)
    db.commit()
    text, _ = pdf_text(login(world.patient_user).get("/mijn/gegevens.pdf").data)
    assert "My data in Zelfzorg" in text and "My readings" in text
    # The POH downloads it for the patient: in the patient's language.
    response = login(world.poh).get(f"/patienten/{world.patient.id}/gegevens.pdf")
    assert response.status_code == 200
    assert "My data in Zelfzorg" in pdf_text(response.data)[0]
    far = login(world.other_poh).get(f"/patienten/{world.patient.id}/gegevens.pdf")
    assert far.status_code in (403, 404)


def test_the_patient_page_links_both_downloads_and_the_erasure_page(world, login):
    html = login(world.patient_user).get("/mijn").get_data(as_text=True)
    for href in ("/mijn/gegevens.json", "/mijn/gegevens.pdf", "/mijn/gegevens-verwijderen"):
        assert f'href="{href}"' in html


# --- the erasure workflow ----------------------------------------------------------------------


def test_patient_requests_poh_approves_colleague_confirms_and_the_data_is_gone(db, world, login):
    active_goal(db, world)
    colleague = second_poh(db, world)
    db.commit()
    patient = login(world.patient_user)
    page = patient.get("/mijn/gegevens-verwijderen").get_data(as_text=True)
    assert "U heeft nog geen verzoek gedaan." in page
    # Without the CSRF token nothing happens.
    refused = patient.post("/mijn/gegevens-verwijderen", data={"reason": REASON, "confirm": "y"})
    assert refused.status_code == 400
    assert db.exec(select(ErasureRequest)).first() is None
    db.commit()  # end the read (SQLite: a reader blocks the request's write)
    sent = patient.post(
        "/mijn/gegevens-verwijderen",
        data={"reason": REASON, "confirm": "y", "csrf_token": csrf_token(page)},
    )
    assert sent.status_code == 302
    request = db.exec(select(ErasureRequest)).one()
    db.commit()
    assert "wacht op beoordeling" in patient.get("/mijn").get_data(as_text=True)

    poh = login(world.poh)
    listing = poh.get("/verwijderverzoeken").get_data(as_text=True)
    assert "Willemsen" in listing
    detail = poh.get(f"/verwijderverzoeken/{request.id}").get_data(as_text=True)
    approve = poh.post(
        f"/verwijderverzoeken/{request.id}/beoordelen",
        data={"decision": "approve", "decision_reason": "Geen bezwaar.", "version": "1",
              "csrf_token": csrf_token(detail)},
    )  # fmt: skip
    assert approve.status_code == 302
    # The approver sees no confirmation form; the colleague does.
    assert "Gegevens definitief verwijderen" not in poh.get(approve.headers["Location"]).get_data(
        as_text=True
    )
    second = login(colleague)
    detail = second.get(f"/verwijderverzoeken/{request.id}").get_data(as_text=True)
    assert "Gegevens definitief verwijderen" in detail
    unconfirmed = second.post(
        f"/verwijderverzoeken/{request.id}/uitvoeren",
        data={"version": "2", "csrf_token": csrf_token(detail)},
    )
    assert unconfirmed.status_code == 400
    done = second.post(
        f"/verwijderverzoeken/{request.id}/uitvoeren",
        data={"confirm": "y", "version": "2", "csrf_token": csrf_token(detail)},
    )
    assert done.status_code == 302
    db.expire_all()
    assert db.get(Patient, world.patient.id).erased_at is not None
    assert db.get(ErasureRequest, request.id).status == ErasureStatus.executed
    db.commit()
    # The patient's session has ended; the list shows the executed request without a name.
    assert "/login" in patient.get("/mijn").headers.get("Location", "")
    listing = poh.get("/verwijderverzoeken").get_data(as_text=True)
    assert "Willemsen" not in listing and "Verwijderde patiënt" in listing
    assert poh.get(f"/patienten/{world.patient.id}").status_code in (403, 404)
    assert verify(db).ok


def test_double_submit_of_a_review_is_refused_with_a_message(db, world, login, no_csrf):
    request = ErasureRequest(
        patient_id=world.patient.id, practice_id=world.practice.id,
        status=ErasureStatus.requested, reason=REASON, requested_by_id=world.patient_user.id,
        requested_by_role="patient",
    )  # fmt: skip
    db.add(request)
    db.commit()
    poh = login(world.poh)
    data = {"decision": "approve", "decision_reason": "Ja.", "version": "1"}
    assert poh.post(f"/verwijderverzoeken/{request.id}/beoordelen", data=data).status_code == 302
    again = poh.post(f"/verwijderverzoeken/{request.id}/beoordelen", data=data)
    assert again.status_code == 409
    assert "Iemand anders heeft dit verzoek intussen behandeld" in again.get_data(as_text=True)


def test_another_practice_gets_404_audited_as_denied(db, world, login, no_csrf):
    request = ErasureRequest(
        patient_id=world.patient.id, practice_id=world.practice.id,
        status=ErasureStatus.requested, reason=REASON, requested_by_id=world.patient_user.id,
        requested_by_role="patient",
    )  # fmt: skip
    db.add(request)
    db.commit()
    far = login(world.other_poh)
    assert far.get(f"/verwijderverzoeken/{request.id}").status_code == 404
    data = {"decision": "approve", "decision_reason": "Ja.", "version": "1"}
    assert far.post(f"/verwijderverzoeken/{request.id}/beoordelen", data=data).status_code == 404
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.user_id == world.other_poh.id, AuditEntry.outcome == AuditOutcome.denied
        )
    ).all()
    assert len(denied) == 2 and {e.patient_id for e in denied} == {world.patient.id}
    db.commit()
    assert db.get(ErasureRequest, request.id).status == ErasureStatus.requested
    empty = far.get("/verwijderverzoeken").get_data(as_text=True)
    assert "Er zijn geen verwijderverzoeken." in empty


def test_poh_files_on_behalf_of_the_patient(db, world, login, no_csrf):
    poh = login(world.poh)
    response = poh.post(
        f"/patienten/{world.patient.id}/gegevens-verwijderen", data={"reason": "Aan de balie."}
    )
    assert "Verzoek om gegevens te verwijderen" in poh.get(
        f"/patienten/{world.patient.id}"
    ).get_data(as_text=True)
    assert response.status_code == 302
    request = db.exec(select(ErasureRequest)).one()
    assert (request.requested_by_id, request.requested_by_role) == (world.poh.id, "professional")
    user = db.get(User, world.patient_user.id)
    assert user.is_active
