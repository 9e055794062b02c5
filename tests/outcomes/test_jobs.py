"""The well-being questionnaire follows the assessment schedule of the programme."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from tests.factories import make_patient, make_user
from tests.outcomes.helpers import questionnaire
from zelfzorg.accounts.models import Role
from zelfzorg.assessment.instruments import InstrumentKind
from zelfzorg.notifications.models import Notification
from zelfzorg.outcomes.jobs import (
    KIND,
    SYMPTOMS_KIND,
    prom_programmes,
    remind_due_symptoms,
    remind_due_wellbeing,
)
from zelfzorg.patients.models import Programme


def test_programmes_with_the_well_being_prom() -> None:
    assert Programme.DM2 in prom_programmes() and Programme.astma not in prom_programmes()


def test_reminders_once_per_due_date_and_only_for_programmes_that_ask_it(db, world) -> None:
    asthma = make_patient(db, world.practice, programmes=(Programme.astma,))
    make_user(db, Role.patient, patient=asthma)
    today = date(2026, 3, 2)
    assert remind_due_wellbeing(db, today) == "2 well-being reminders"
    notes = db.exec(select(Notification).where(Notification.kind == KIND)).all()
    assert {n.user_id for n in notes} == {world.patient_user.id, world.other_patient_user.id}
    assert remind_due_wellbeing(db, today + timedelta(days=1)) == "0 well-being reminders"


def test_a_completed_questionnaire_moves_the_due_date(db, world) -> None:
    questionnaire(db, world.patient, 60, at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC))
    questionnaire(db, world.other_patient, 60, at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC))
    assert remind_due_wellbeing(db, date(2026, 3, 2)) == "0 well-being reminders"
    # Twelve months later (the default interval) it is due again.
    assert remind_due_wellbeing(db, date(2027, 2, 1)) == "2 well-being reminders"


def test_the_symptom_diary_is_asked_of_heart_failure_patients_only(db, world) -> None:
    assert prom_programmes(InstrumentKind.SYMPTOMS) == [Programme.hartfalen]
    heart = make_patient(db, world.practice, programmes=(Programme.hartfalen,))
    user = make_user(db, Role.patient, patient=heart)
    today = date(2026, 3, 2)
    assert remind_due_symptoms(db, today) == "1 symptom diary reminders"
    notes = db.exec(select(Notification).where(Notification.kind == SYMPTOMS_KIND)).all()
    assert [n.user_id for n in notes] == [user.id]
    assert remind_due_symptoms(db, today) == "0 symptom diary reminders"
    # Heart failure asks the WHO-5 too.
    assert Programme.hartfalen in prom_programmes()
