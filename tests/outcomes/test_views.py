"""The pages through HTTP: the patient's page, the professional's page, the review-screen
block and the plan PDF section; nobody sees another patient's value."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import make_patient
from tests.izp.helpers import active_goal
from tests.outcomes.helpers import PEER_BORN, goal, measure, peers, questionnaire
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Programme, Sex


def _arrange(db, world):
    recent = utcnow() - timedelta(days=30)
    # 16 of 20 comparable patients have a higher (worse) HbA1c than the patient's 45.
    group = peers(db, world.practice, [71] * 16 + [33] * 4, at=recent)
    measure(db, world.patient, 52, at=recent - timedelta(days=90))
    measure(db, world.patient, 45, at=recent)
    questionnaire(db, world.patient, 64, at=recent)
    db.commit()
    return group


def test_patient_page_in_plain_language(db, world, login) -> None:
    _arrange(db, world)
    page = login(world.patient_user).get("/mijn/vergelijken")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Hoe gaat het met mij, vergeleken met anderen?" in html
    assert "Beter dan de meeste vergelijkbare patiënten" in html
    assert "▲" in html  # an icon beside the text, not colour alone
    assert "Van elke 100 vergelijkbare patiënten doen er ongeveer 80 het minder goed dan u." in html
    assert "7 beter (was 52)" in html  # change since the previous measurement
    assert "Dezelfde gegevens als tabel" in html and "<table" in html
    # Too few peers with a WHO-5 score: said so, no comparison.
    assert "Te weinig vergelijkbare patiënten (minder dan 20)" in html


def test_no_other_patients_value_is_shown(db, world, login) -> None:
    _arrange(db, world)
    for user, path in ((world.patient_user, "/mijn/vergelijken"), (world.poh, None)):
        url = path or f"/patienten/{world.patient.id}/uitkomsten"
        html = login(user).get(url).get_data(as_text=True)
        # The peers' values (71 and 33) and no median or range appear; only the patient's own.
        # (as values: digits inside ids, times or tokens are not values)
        for value in ("71", "33"):
            assert f"{value} mmol/mol" not in html and f">{value}<" not in html
            assert f" {value} " not in html and f">{value} " not in html
        assert "45 mmol/mol" in html
    # The other patient's own page shows nothing of world.patient.
    other = login(world.other_patient_user).get("/mijn/vergelijken").get_data(as_text=True)
    assert "45 mmol/mol" not in other and world.patient.family_name not in other


def test_professional_page_and_review_block(db, world, login) -> None:
    _arrange(db, world)
    goal = active_goal(db, world)
    db.commit()
    client = login(world.poh)
    page = client.get(f"/patienten/{world.patient.id}/uitkomsten").get_data(as_text=True)
    assert "Beter dan de mediaan" in page and "Percentiel 80" in page
    review = client.get(f"/doelen/{goal.id}/evaluatie")
    assert review.status_code == 200
    html = review.get_data(as_text=True)
    assert "Uitkomsten vergeleken met vergelijkbare patiënten" in html
    assert "percentiel 80" in html


def test_the_plan_pdf_holds_the_outcomes_on_request(db, world, login, monkeypatch) -> None:
    _arrange(db, world)
    seen = []
    import zelfzorg.pdf

    monkeypatch.setattr(zelfzorg.pdf, "render_pdf", lambda html, **kw: seen.append(html) or b"%PDF")
    client = login(world.patient_user)
    assert client.get(f"/patienten/{world.patient.id}/plan.pdf").status_code == 200
    assert client.get(f"/patienten/{world.patient.id}/plan.pdf?uitkomsten=1").status_code == 200
    without, with_outcomes = seen
    assert "vergeleken met anderen" not in without
    assert "vergeleken met anderen" in with_outcomes and "45 mmol/mol" in with_outcomes


def test_english(db, world, login) -> None:
    _arrange(db, world)
    world.patient_user.locale = "en"
    db.add(world.patient_user)
    db.commit()
    html = login(world.patient_user).get("/mijn/vergelijken").get_data(as_text=True)
    assert "How am I doing compared with others?" in html


def _like_me_peers(db, world, reached: int = 12, missed: int = 8):
    start = utcnow() - timedelta(days=500)
    for index in range(reached + missed):
        (peer,) = peers(db, world.practice, [None], programmes=(Programme.CVRM,))
        goal(db, peer, created=start)
        value = 131 if index < reached else 151
        measure(db, peer, value, code="bp_systolic", at=start + timedelta(days=90))


def test_patients_like_me_on_the_patient_page_and_in_the_review_block(db, world, login) -> None:
    _arrange(db, world)
    _like_me_peers(db, world)
    mine = active_goal(db, world)
    db.commit()
    html = login(world.patient_user).get("/mijn/vergelijken").get_data(as_text=True)
    assert "Mensen zoals ik: wie bereikte een vergelijkbaar doel?" in html
    assert mine.title in html
    assert (
        "Van elke 100 vergelijkbare patiënten met een vergelijkbaar doel bereikten er ongeveer "
        "60 hun doel binnen een jaar." in html
    )
    # Nothing of the peers: not their values (131, 151) nor their goals' titles.
    for value in ("131", "151"):
        assert f"{value} mmHg" not in html and f">{value}<" not in html and f" {value} " not in html
    assert "Bloeddruk omlaag" not in html
    review = login(world.poh).get(f"/doelen/{mine.id}/evaluatie").get_data(as_text=True)
    assert "Patiënten zoals deze: vergelijkbare doelen binnen een jaar bereikt" in review
    assert "Ongeveer 60 van elke 100 vergelijkbare patiënten (minstens 20)" in review


def test_patients_like_me_says_too_few(db, world, login) -> None:
    _arrange(db, world)
    _like_me_peers(db, world, reached=10, missed=9)
    active_goal(db, world)
    db.commit()
    html = login(world.patient_user).get("/mijn/vergelijken").get_data(as_text=True)
    assert "Te weinig vergelijkbare patiënten met een vergelijkbaar doel (minder dan 20)" in html


def test_smoking_and_weight_trend_on_the_page(db, world, login) -> None:
    """The coded and trend outcomes in words, with the reason there is no percentile."""
    recent = utcnow() - timedelta(days=10)
    subject = make_patient(
        db,
        world.practice,
        sex=Sex.female,
        born=PEER_BORN,
        programmes=(Programme.COPD, Programme.hartfalen),
    )
    for index in range(20):
        (peer,) = peers(db, world.practice, [None], programmes=(Programme.COPD,))
        measure(db, peer, "current" if index < 4 else "never", code="smoking_status", at=recent)
    measure(db, subject, "current", code="smoking_status", at=recent - timedelta(days=200))
    measure(db, subject, "former", code="smoking_status", at=recent)
    measure(db, subject, 80.0, code="weight", at=utcnow() - timedelta(days=40))
    measure(db, subject, 81.5, code="weight", at=recent)
    db.commit()
    html = login(world.poh).get(f"/patienten/{subject.id}/uitkomsten").get_data(as_text=True)
    assert "Gestopt met roken" in html and "beter (was: Rookt)" in html
    assert "Dit is geen getal maar een toestand: daarom geen percentiel." in html
    assert "Ongeveer 80 van elke 100 vergelijkbare patiënten roken niet." in html
    assert "+1,5 kg in 28 dagen" in html
    assert "Een daling is beter." in html
