"""Care-group settings on a page: own care group only, validation messages, audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests.assessment.helpers import LEVEL_3, NOW, complete
from tests.factories import make_care_group, make_user
from zelfzorg.accounts.models import Role
from zelfzorg.assessment import care_group_settings as cgs
from zelfzorg.assessment import services
from zelfzorg.assessment.models import AssessmentSetting
from zelfzorg.assessment.versions import ACTIVATION_CODE, current_version
from zelfzorg.audit.models import AuditEntry
from zelfzorg.errors import Forbidden

FORM = {
    "due_months": "12",
    "max_1": "47,0",
    "max_2": "55.1",
    "max_3": "67.0",
    "weeks_1": "6",
    "weeks_2": "8",
    "weeks_3": "13",
    "weeks_4": "26",
}


def _form(**changes):
    return FORM | changes


def _change(db, world, **changes):
    form = _form(**changes)
    return cgs.change_care_group_settings(
        db,
        world.actor(world.caregroup_user),
        care_group_id=world.care_group.id,
        due_interval_months=form["due_months"],
        review_weeks={n: form[f"weeks_{n}"] for n in range(1, 5)},
        level_maxima={n: form[f"max_{n}"] for n in range(1, 4)},
        now=NOW,
    )


def test_page_shows_current_settings_and_instrument(db, world, login):
    page = login(world.caregroup_user).get("/zorggroep/vragenlijsten")
    assert page.status_code == 200
    assert world.care_group.name in page.text and "versie 1.0" in page.text
    assert 'name="due_months" value="12"' in page.text
    assert 'name="max_1" value="47.0"' in page.text and 'name="weeks_4" value="26"' in page.text


def test_caregroup_changes_interval_weeks_and_cutoffs_with_an_audit_entry(
    db, world, login, no_csrf
):
    client = login(world.caregroup_user)
    sent = client.post(
        "/zorggroep/vragenlijsten",
        data=_form(due_months="6", weeks_1="4", max_3="70,5"),
    )
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"])
    assert "De instellingen zijn bewaard." in page.text
    assert 'name="due_months" value="6"' in page.text and 'name="max_3" value="70.5"' in page.text
    db.expire_all()
    setting = db.exec(select(AssessmentSetting)).one()
    assert setting.due_interval_months == 6 and setting.review_interval_weeks == {"1": 4}
    version = current_version(db, ACTIVATION_CODE, world.care_group.id)
    levels = [(lv["min"], lv["max"]) for lv in version.definition["levels"]]
    assert levels == [(0.0, 47.0), (47.1, 55.1), (55.2, 70.5), (70.6, 100.0)]
    entry = db.exec(select(AuditEntry).where(AuditEntry.object_type == "AssessmentSetting")).one()
    assert entry.user_id == world.caregroup_user.id and entry.action == "update"
    assert "due interval 12 -> 6 months" in entry.detail
    assert "level 1 review 6 -> 4 weeks" in entry.detail and "55.2-70.5" in entry.detail


def test_new_cutoffs_score_new_responses_and_keep_old_ones(db, world):
    old = complete(db, world, LEVEL_3)  # 61.5: level 3 with the built-in cut-offs
    _change(db, world, max_2="62,0", max_3="80,0")
    new = complete(db, world, LEVEL_3)
    assert (old.level, new.level) == (3, 2)
    assert old.instrument_version == "1.0" and new.instrument_version != "1.0"


def test_bad_values_name_every_field_and_change_nothing(db, world, login, no_csrf):
    page = login(world.caregroup_user).post(
        "/zorggroep/vragenlijsten",
        data=_form(due_months="0", weeks_2="twee", max_1="47,05", max_3="50"),
    )
    assert page.status_code == 400 and 'role="alert"' in page.text
    assert "Vul een heel aantal maanden in van 1 tot en met 60." in page.text
    assert "Vul een heel aantal weken in van 1 tot en met 104." in page.text
    assert "Vul een getal in, bijvoorbeeld 47,0 (hoogstens 1 decimalen)." in page.text
    assert "De bovengrens van niveau 3 moet tussen 55.2 en 99.9 liggen" in page.text
    assert 'value="twee"' in page.text  # what was typed stays
    assert 'aria-invalid="true"' in page.text
    db.expire_all()
    assert db.exec(select(AssessmentSetting)).first() is None
    assert current_version(db, ACTIVATION_CODE, world.care_group.id).care_group_id is None


def test_nothing_changed_writes_nothing(db, world):
    assert _change(db, world) == []
    assert db.exec(select(AssessmentSetting)).first() is None


def test_caregroup_staff_of_another_group_is_refused_and_audited(db, world):
    other = make_user(db, Role.caregroup, care_group=make_care_group(db))
    with pytest.raises(Forbidden):
        cgs.care_group_settings(db, world.actor(other), care_group_id=world.care_group.id)
    denied = db.exec(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
    assert [e.object_type for e in denied] == ["AssessmentSetting"]


def test_admin_chooses_a_care_group_and_changes_it(db, world, login, no_csrf):
    client = login(world.admin)
    index = client.get("/beheer/vragenlijsten")
    url = f"/beheer/zorggroepen/{world.care_group.id}/vragenlijsten"
    assert url in index.text
    assert client.post(url, data=_form(due_months="24")).status_code == 302
    assert client.get("/beheer/zorggroepen/999999/vragenlijsten").status_code == 404
    db.expire_all()
    assert db.exec(select(AssessmentSetting)).one().due_interval_months == 24


def test_due_interval_moves_the_next_assessment(db, world):
    complete(db, world, LEVEL_3)
    _change(db, world, due_months="6")
    due = services.due_assessments(db, today=date(2026, 3, 2), patient_id=world.patient.id)
    assert due[0].due == date(2026, 9, 2)
