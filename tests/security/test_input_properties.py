"""Property-based checks of the input boundary (hypothesis): whatever bad value is generated,
the answer is a 4xx with a message and nothing is stored."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from zelfzorg.inputs import DB_INT_MAX, EARLIEST_DATE, LATEST_DATE
from zelfzorg.patients.models import Patient
from zelfzorg.telemonitoring.models import Measurement

pytestmark = pytest.mark.usefixtures("no_csrf")
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    # The database is shared across examples on purpose: every example must leave it as is.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
CONTROL = st.sampled_from(
    [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]]
)
PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)", re.ASCII)
NUMBER_ALPHABET = st.sampled_from(list("0123456789,.-+e_E ") + ["١", "٢", "１", "२", "²", "½", "٫"])


def count(db, model) -> int:
    with Session(db.get_bind()) as fresh:
        return fresh.exec(select(func.count()).select_from(model)).one()


def patient_form(**changes) -> dict:
    return {
        "given_name": "Anna",
        "family_name": "de Vries",
        "date_of_birth": "1960-05-01",
        "sex": "female",
    } | changes


@SETTINGS
@given(before=st.text(max_size=20), bad=CONTROL, after=st.text(max_size=20))
def test_text_with_a_control_character_is_refused(db, world, login, before, bad, after):
    patients = count(db, Patient)
    response = login(world.poh).post(
        "/patienten/nieuw", data=patient_form(given_name=before + bad + after)
    )
    assert response.status_code == 400
    assert "onzichtbare tekens" in response.get_data(as_text=True)
    assert count(db, Patient) == patients


@SETTINGS
@given(value=st.text(NUMBER_ALPHABET, min_size=1, max_size=12))
def test_a_number_people_would_not_type_is_refused(db, world, login, value):
    if PLAIN_NUMBER.fullmatch(value.strip().replace(" ", "")):
        return  # a plain number: accepted or refused by plausibility, not the parser
    response = login(world.patient_user).post(
        "/mijn/metingen/nieuw", data={"date": "2026-01-05", "time": "08:00", "weight": value}
    )
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True) or "flash-error" in (
        response.get_data(as_text=True)
    )
    assert count(db, Measurement) == 0


@SETTINGS
@given(number=st.integers(min_value=DB_INT_MAX + 1, max_value=10**40))
def test_an_id_beyond_the_database_range_is_not_found(world, login, number):
    client = login(world.poh)
    assert client.get(f"/patienten/{number}").status_code == 404
    assert client.get(f"/doelen/{number}").status_code == 404
    assert client.post(f"/metingen/{number}/corrigeren").status_code == 404
    assert client.get("/beheer/audit", query_string={"patient_id": number}).status_code in (
        400,
        403,
    )


@SETTINGS
@given(
    day=st.one_of(
        st.dates(max_value=date(EARLIEST_DATE.year - 1, 12, 31)),
        st.dates(min_value=date(LATEST_DATE.year + 1, 1, 1)),
    )
)
def test_a_date_outside_1900_to_2100_is_refused(db, world, login, day):
    patients = count(db, Patient)
    response = login(world.poh).post(
        "/patienten/nieuw", data=patient_form(date_of_birth=day.isoformat())
    )
    assert response.status_code == 400
    assert count(db, Patient) == patients
    history = login(world.poh).get(
        f"/patienten/{world.patient.id}/plan/geschiedenis", query_string={"datum": day.isoformat()}
    )
    assert history.status_code == 400
