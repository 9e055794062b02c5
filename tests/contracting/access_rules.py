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


_CONTRACTS = iter(range(1, 100_000))


def contract(world, db) -> dict:
    # A fresh insurer each call: one contract per insurer and year.
    insurer = f"Verzekeraar {next(_CONTRACTS)}"
    made = records.create_contract(db, _caregroup(world), insurer=insurer, year=2026)
    return {"contract_id": made.id}


POLICY_FORM = {
    "title": "Visie op zelfmanagement",
    "status": "adopted",
    "effective_on": "2026-01-01",
    "adopted_on": "2026-01-01",
    "text": "Samen met de patiënt.",
    "covers_patient_involvement": "1",
    "patient_involvement_text": "De patiënt stelt zijn doelen mee op.",
    "covers_incentives": "1",
    "incentives_text": "Scholing en een vergoeding per zorgplan.",
}
ACTION_FORM = {"kind": "training", "title": "Scholing zelfmanagement", "on_date": "2026-03-01"}
PLATFORM_FORM = {"on_list": "1", "stated_on": "2026-01-15", "note": ""}
SCHEDULE_FORM = {"frequency": "quarterly", "formats": "csv", "lang": "nl", "delimiter": ";"}


def _new_contract(world, db, params) -> dict:
    return {"insurer": f"Verzekeraar {next(_CONTRACTS)}", "year": "2026"}


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
    "contracting.policy": Rule(CAREGROUP, data=POLICY_FORM),
    "contracting.policy_pdf": Rule(CAREGROUP, policy_version),
    "contracting.development": Rule(CAREGROUP, data=ACTION_FORM),
    "contracting.remove_action": Rule(CAREGROUP, action),
    "contracting.platform": Rule(CAREGROUP, data=PLATFORM_FORM),
    "contracting.contracts": Rule(CAREGROUP, data=_new_contract),
    "contracting.contract": Rule(CAREGROUP, contract),
}

# --- exports (branch "exports": zelfzorg/contracting/export_views.py) ---------------------------


def _export_params(world, db):
    return {"care_group_id": world.care_group.id, "fmt": "csv"}


def _schedule_params(world, db):
    from tests.contracting.test_schedule import make_schedule

    return {"schedule_id": make_schedule(db, world).id}


def _file_params(world, db):
    from tests.contracting.test_schedule import make_file

    return {"file_id": make_file(db, world).id}


RULES |= {
    "contracting_exports.export": Rule(
        CAREGROUP, _export_params, data={"van": "2025-01-01", "tot": "2025-12-31"}
    ),
    "contracting_exports.schedules": Rule(CAREGROUP, data=SCHEDULE_FORM),
    "contracting_exports.stop_schedule": Rule(CAREGROUP, _schedule_params),
    "contracting_exports.download": Rule(CAREGROUP, _file_params),
}
# --- end of exports -----------------------------------------------------------------------------
