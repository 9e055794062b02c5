from datetime import date

from sqlmodel import select

from zelfzorg.accounts.models import CareGroup
from zelfzorg.contracting.periods import last_periods
from zelfzorg.contracting.report_data import VerdictStatus
from zelfzorg.contracting.services import compute_report
from zelfzorg.demo import seed_demo

TODAY = date(2026, 11, 30)


def test_demo_report_has_met_and_unmet_conditions_and_a_trend(db):
    seed_demo(db, n_patients=60, progress=lambda _m: None, today=TODAY)
    db.commit()
    group = db.exec(select(CareGroup)).one()
    report = compute_report(db, care_group_id=group.id, start=date(2026, 1, 1), end=TODAY)
    assert report.contract is not None and report.contract.year == 2026
    statuses = {v.indicator: v.status for v in report.verdicts}
    assert statuses["V1"] == VerdictStatus.met
    assert statuses["V2"] == VerdictStatus.met
    assert VerdictStatus.not_met in statuses.values()
    assert report.figure("I1").numerator > 0
    assert report.figure("P2").numerator > 0
    years = [
        compute_report(db, care_group_id=group.id, start=s, end=e, strata=False).figure("I1")
        for s, e in last_periods(TODAY, "year", 3)
    ]
    assert years[0].numerator < years[-1].numerator  # the plans grew over the years
