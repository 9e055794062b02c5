from datetime import date

from sqlmodel import func, select

from zelfzorg.accounts.models import Role, User
from zelfzorg.accounts.scope import actor_for
from zelfzorg.demo import seed_demo
from zelfzorg.outcomes import demo as outcome_demo
from zelfzorg.outcomes import services
from zelfzorg.patients.models import Patient, Programme

TODAY = date(2026, 11, 30)


def _dm2(db):
    user = db.exec(select(User).where(User.email == "patient@demo.zelfzorg.nl")).one()
    assert user.role == Role.patient
    board = services.dashboard(
        db, actor_for(db, user, "127.0.0.1"), patient_id=user.patient_id, today=TODAY
    )
    return next(p for p in board.programmes if p.outcome_set.programme == Programme.DM2)


def test_the_demo_patient_sees_a_comparison(db, monkeypatch):
    # A small demo with room for the added patients (the default demo of 150 needs a few).
    monkeypatch.setattr(outcome_demo, "MAX_EXTRA_SHARE", 1.0)
    seed_demo(db, n_patients=30, progress=lambda _m: None, today=TODAY)
    db.commit()
    dm2 = _dm2(db)
    compared = {r.outcome.code for r in dm2.results if r.compared}
    assert {"hba1c", "systolic_bp", "bmi", "well_being", "activation"} <= compared
    well_being = next(r for r in dm2.results if r.outcome.code == "well_being")
    assert well_being.change is not None  # shown over time


def test_a_small_demo_keeps_its_size_and_says_too_few(db):
    seed_demo(db, n_patients=30, progress=lambda _m: None, today=TODAY)
    db.commit()
    assert db.exec(select(func.count()).select_from(Patient)).one() == 30
    hba1c = next(r for r in _dm2(db).results if r.outcome.code == "hba1c")
    assert not hba1c.compared and hba1c.reason == services.TOO_FEW
