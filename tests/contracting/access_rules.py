from datetime import date

from tests.access import Rule
from zelfzorg.contracting import records
from zelfzorg.contracting.reproduce import store_report
from zelfzorg.contracting.services import compute_report

CAREGROUP = frozenset({"caregroup"})
PROFESSIONALS = frozenset({"professional", "professional_other"})
PDF = b"%PDF-1.4\n%test\n"


def _caregroup(world):
    return world.actor(world.caregroup_user)


def stored(world, db) -> dict:
    report = compute_report(
        db, care_group_id=world.care_group.id, start=date(2026, 1, 1), end=date(2026, 6, 30)
    )
    return {"report_id": store_report(db, _caregroup(world), report).id}


def contract(world, db) -> dict:
    made = records.create_contract(db, _caregroup(world), insurer="VGZ", year=2026)
    return {"contract_id": made.id}


def policy_version(world, db) -> dict:
    version = records.save_policy(
        db,
        _caregroup(world),
        title="Visie",
        status="adopted",
        effective_on=date(2026, 1, 1),
        adopted_on=date(2026, 1, 1),
        text="",
        covers_patient_involvement=False,
        patient_involvement_text="",
        covers_incentives=False,
        incentives_text="",
        pdf_name="visie.pdf",
        pdf_data=PDF,
    )
    return {"version_id": version.id}


def action(world, db) -> dict:
    made = records.save_action(
        db,
        _caregroup(world),
        action_key=None,
        kind="training",
        title="Scholing",
        on_date=date(2026, 3, 1),
        practice_id=None,
        discipline=None,
        note="",
    )
    return {"action_key": made.action_key}


RULES = {
    "contracting.report": Rule(CAREGROUP),
    "contracting.indicator": Rule(CAREGROUP, lambda w, d: {"indicator": "I1"}),
    "contracting.trend": Rule(CAREGROUP),
    "contracting.store": Rule(CAREGROUP, data={"van": "2026-01-01", "tot": "2026-06-30"}),
    "contracting.stored": Rule(CAREGROUP, stored),
    "contracting.practice_report": Rule(PROFESSIONALS),
    "contracting.records_index": Rule(CAREGROUP),
    "contracting.policy": Rule(CAREGROUP),
    "contracting.policy_pdf": Rule(CAREGROUP, policy_version),
    "contracting.development": Rule(CAREGROUP),
    "contracting.remove_action": Rule(CAREGROUP, action),
    "contracting.platform": Rule(CAREGROUP),
    "contracting.contracts": Rule(CAREGROUP),
    "contracting.contract": Rule(CAREGROUP, contract),
}
