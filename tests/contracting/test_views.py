"""The report pages through HTTP: what caregroup users and practices see, bad input."""

from __future__ import annotations

import io
from datetime import date

from sqlmodel import select

from tests.contracting.helpers import add_goal
from tests.factories import make_patient
from zelfzorg.accounts.models import PracticeMembership
from zelfzorg.audit.models import AuditEntry
from zelfzorg.contracting import records
from zelfzorg.contracting.models import Contract, PolicyVersion, StoredReport

PERIOD = {"van": "2025-01-01", "tot": "2025-12-31"}


def _goal(db, patient):
    add_goal(db, patient, [("active", date(2024, 1, 1), None)], agreed_on=date(2024, 1, 1))
    db.commit()


def test_caregroup_report_shows_verdicts_and_no_patient(db, world, login):
    _goal(db, world.patient)
    records.create_contract(db, world.actor(world.caregroup_user), insurer="VGZ", year=2025)
    db.commit()
    page = login(world.caregroup_user).get("/zorggroep/rapportage", query_string=PERIOD)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Contract: VGZ 2025" in html
    assert "I1" in html and "33,3%" in html  # 1 of 3 patients
    assert "De Linde" in html and "Waalkade" in html
    for patient in (world.patient, world.other_patient, world.far_patient):
        assert patient.family_name not in html


def test_drill_down_has_funnel_and_strata(db, world, login):
    _goal(db, world.patient)
    page = login(world.caregroup_user).get(
        "/zorggroep/rapportage/indicator/I1", query_string=PERIOD
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in html and "Trechterdiagram I1" in html
    assert "Zorgprogramma: DM2" in html and "Geslacht: vrouw" in html
    assert world.patient.family_name not in html


def test_unknown_indicator_and_bad_period_are_clear(world, login):
    client = login(world.caregroup_user)
    assert client.get("/zorggroep/rapportage/indicator/X9").status_code == 404
    page = client.get("/zorggroep/rapportage", query_string={"van": "morgen"})
    assert page.status_code == 400
    assert "Vul een geldige datum in" in page.get_data(as_text=True)
    page = client.get(
        "/zorggroep/rapportage", query_string={"van": "2025-12-01", "tot": "2025-01-01"}
    )
    assert page.status_code == 400


def test_trend_shows_four_quarters(world, login):
    page = login(world.caregroup_user).get(
        "/zorggroep/rapportage/trend", query_string={"tot": "2025-12-31"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('<th scope="col">') == 5  # indicator + four quarters


def test_storing_twice_shows_what_changed(db, world, login, no_csrf):
    client = login(world.caregroup_user)
    first = client.post("/zorggroep/rapportage/bewaren", data=PERIOD)
    assert first.status_code == 302
    _goal(db, world.patient)  # a late entry
    second = client.post("/zorggroep/rapportage/bewaren", data=PERIOD)
    stored = db.exec(select(StoredReport).order_by(StoredReport.id)).all()
    db.commit()
    assert len(stored) == 2 and stored[0].fingerprint != stored[1].fingerprint
    assert second.headers["Location"].endswith(f"/bewaard/{stored[0].id}")
    html = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "wijken" in html and "I1" in html


def test_practice_sees_own_patients_to_act_on_and_it_is_audited(db, world, login):
    _goal(db, world.patient)
    page = login(world.poh).get("/praktijk/rapportage", query_string=PERIOD)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert world.other_patient.family_name in html  # no goal yet: to act on for I1
    assert world.far_patient.family_name not in html  # another practice
    shown = db.exec(
        select(AuditEntry.patient_id).where(AuditEntry.object_type == "ContractingActOn")
    ).all()
    assert world.other_patient.id in shown and world.far_patient.id not in shown


def test_professional_in_two_practices_sees_both(db, world, login):
    db.add(PracticeMembership(user_id=world.poh.id, practice_id=world.other_practice.id))
    make_patient(db, world.other_practice, family="Tweedepraktijk")
    db.commit()
    html = login(world.poh).get("/praktijk/rapportage", query_string=PERIOD).get_data(as_text=True)
    assert "Waalkade" in html and "De Linde" in html
    assert world.far_patient.family_name in html and "Tweedepraktijk" in html


def test_policy_upload_must_be_a_pdf(db, world, login, no_csrf):
    client = login(world.caregroup_user)
    form = {
        "title": "Visie op zelfmanagement",
        "status": "adopted",
        "effective_on": "2025-01-01",
        "adopted_on": "2025-01-01",
        "covers_patient_involvement": "1",
        "patient_involvement_text": "Samen beslissen",
        "covers_incentives": "1",
        "incentives_text": "Bonus per zorgplan",
    }
    bad = client.post(
        "/zorggroep/beleid/visie",
        data={**form, "pdf": (io.BytesIO(b"MZ not a pdf"), "visie.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "Kies een PDF-bestand." in bad.get_data(as_text=True)
    assert db.exec(select(PolicyVersion)).all() == []
    db.commit()  # end the read transaction before the app writes
    good = client.post(
        "/zorggroep/beleid/visie",
        data={**form, "pdf": (io.BytesIO(b"%PDF-1.4 test"), "visie.pdf")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    version = db.exec(select(PolicyVersion)).one()
    db.commit()
    assert version.pdf_data == b"%PDF-1.4 test"
    download = client.get(f"/zorggroep/beleid/visie/{version.id}/pdf")
    assert download.data == b"%PDF-1.4 test" and download.mimetype == "application/pdf"


def test_contract_target_must_be_a_percentage(db, world, login, no_csrf):
    client = login(world.caregroup_user)
    created = client.post("/zorggroep/beleid/contracten", data={"insurer": "CZ", "year": "2025"})
    assert created.status_code == 302
    contract = db.exec(select(Contract)).one()
    db.commit()
    url = f"/zorggroep/beleid/contracten/{contract.id}"
    page = client.post(
        url, data={"target_I1": "meer dan 60", "counts_I1": "1", "kind_I1": "requirement"}
    )
    assert page.status_code == 400
    assert "I1: vul een percentage tussen 0 en 100 in." in page.get_data(as_text=True)
    ok = client.post(url, data={"target_I1": "60,5", "counts_I1": "1", "kind_I1": "requirement"})
    assert ok.status_code == 302
    db.expire_all()
    _c, terms = records.load_contract(db, world.actor(world.caregroup_user), contract.id)
    assert str({t.indicator: t for t in terms}["I1"].target) == "60.5"


def test_report_page_links_to_every_export_and_each_downloads(db, world, login):
    import re
    from html import unescape

    _goal(db, world.patient)
    client = login(world.caregroup_user)
    html = client.get("/zorggroep/rapportage", query_string=PERIOD).get_data(as_text=True)
    links = [unescape(h) for h in re.findall(r'href="(/zorggroep/rapport/[^"]+)"', html)]
    assert {re.search(r"export\.(\w+)", link).group(1) for link in links} == {"pdf", "csv", "fhir"}
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.data  # a file, not an empty answer
    csv_comma = next(link for link in links if "scheiding=," in link)
    assert b";" not in client.get(csv_comma).data.splitlines()[0]
