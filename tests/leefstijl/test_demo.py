from datetime import date

from sqlmodel import select

from zelfzorg.demo import seed_demo
from zelfzorg.izp.models import Goal
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.models import Intervention, Referral, ReferralEvent


def test_demo_has_a_realistic_catalogue_and_referrals_in_every_state(db):
    seed_demo(db, n_patients=45, progress=lambda _m: None, today=date(2026, 11, 30))
    names = {i.name for i in db.exec(select(Intervention)).all()}
    assert {"CooL – Coaching op Leefstijl", "SLIMMER", "Beweegkuur Rivierenland"} <= names
    referrals = db.exec(select(Referral)).all()
    assert {r.state for r in referrals} == set(rs.STATES)
    kinds = {i.id: i.kind for i in db.exec(select(Intervention)).all()}
    for referral in referrals:
        events = db.exec(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.id)
        ).all()
        for event in events:  # every recorded step is one the lifecycle allows
            rs.check_transition(event.from_state, event.to_state, event.actor_role)
        assert events[-1].to_state == referral.state
        assert events[-1].on_date <= date(2026, 11, 30)
        if referral.state == rs.COMPLETED:
            assert rs.validate_outcome(kinds[referral.intervention_id], referral.outcome)
    # The demo patient's open offer serves one of her own care-plan goals.
    linked = [r for r in referrals if r.goal_id is not None]
    assert linked and all(db.get(Goal, r.goal_id).patient_id == r.patient_id for r in linked)
