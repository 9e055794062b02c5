"""Who may fill in or delete a draft questionnaire, decided by the service for the page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from zelfzorg.assessment import services
from zelfzorg.assessment.instruments import InstrumentKind

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_patient_fills_in_and_deletes_a_draft_a_professional_only_fills_it_in(db, world):
    patient = world.actor(world.patient_user)
    draft = services.start_response(
        db, patient, patient_id=world.patient.id, instrument_code="activation", now=NOW
    )
    own = services.patient_assessments(db, patient, patient_id=world.patient.id, today=date.today())
    assert own.fillable == {draft.id} and own.discardable == {draft.id}
    poh = world.actor(world.poh)
    seen = services.patient_assessments(db, poh, patient_id=world.patient.id, today=date.today())
    assert seen.fillable == {draft.id} and seen.discardable == set()


def test_nobody_fills_in_the_experience_questionnaire_for_the_patient(world):
    assert services.may_fill_in(world.actor(world.patient_user), InstrumentKind.EXPERIENCE)
    assert not services.may_fill_in(world.actor(world.poh), InstrumentKind.EXPERIENCE)
    assert services.may_fill_in(world.actor(world.poh), InstrumentKind.ACTIVATION)
