"""Every indicator on a small hand-built care group, with hand-computed numbers.

P = 2025-01-01 .. 2025-12-31, d = 2025-12-31. Practice A (De Linde), B (Waalkade), and C in
another care group. Patients (population on d: A = p1 p2 p3 p7, B = p4 p6):

* p1 A DM2, born 1955-12-31 (70 on d): agreed goal active since 2023, reviewed 2025-05-01;
  HbA1c 50 (March) then 60 (October); systolic 145; BMI 27; activated 2025-02-01; active on
  d-89; activation level 2 on d-364; experience invited, answered 80 then 60; offered the
  online intervention in 2025.
* p2 A DM2+CVRM (multimorbid), born 1956-01-01 (69): goal linked to DM2 only, agreed
  2024-06-01, active until 2026-02-01 then completed (active on d); HbA1c on 2024-12-31 (just
  outside 12 months); systolic 138; BMI 30; account activated after d; active on d-90 only;
  activation levels 3 then 4; experience invited, never answered; offered in 2024 only.
* p3 A COPD+astma (multimorbid): a goal per programme, active but never agreed; BMI 24;
  smoking status known; activation on d-365 (outside).
* p4 B DM2, enrolment starting on d, born 1940: agreed goal from 2025-12-01, cancelled after
  d; HbA1c 48 on d.
* p5 A DM2, enrolment ending on d: not in the population.
* p6 DM2, moved A -> B on 2025-06-01: counts for B; superseded HbA1c only; BMI 26.
* p7 A DM2, born 1955-03-14 (70): agreed goal cancelled 2025-11-01, reviewed 2024-12-31;
  weight 80 + height 180.
* p8 C (other care group): never counted.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from tests.contracting.helpers import (
    END,
    START,
    add_activity,
    add_experience,
    add_goal,
    add_review,
    move,
    noon,
)
from tests.factories import make_care_group, make_patient, make_practice, make_user
from tests.leefstijl.helpers import (
    add_activation,
    add_measurement,
    make_intervention,
    make_referral,
)
from zelfzorg.accounts.models import Role
from zelfzorg.contracting.models import (
    ActionKind,
    Contract,
    ContractTerm,
    DevelopmentAction,
    PlatformStatement,
    PolicyStatus,
    PolicyVersion,
)
from zelfzorg.contracting.report_data import Stratum, VerdictStatus
from zelfzorg.contracting.services import compute_report
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.patients.models import Enrolment, Programme, Sex

DM2, CVRM, COPD, ASTMA = Programme.DM2, Programme.CVRM, Programme.COPD, Programme.astma


@pytest.fixture()
def group(db):
    g = make_care_group(db, "Zorggroep Rivierenland")
    a = make_practice(db, g, "De Linde")
    b = make_practice(db, g, "Waalkade")
    other = make_care_group(db)
    c = make_practice(db, other, "Elders")
    p = {}
    p[1] = make_patient(db, a, born=date(1955, 12, 31), sex=Sex.female, programmes=(DM2,))
    p[2] = make_patient(db, a, born=date(1956, 1, 1), programmes=(DM2, CVRM))
    p[3] = make_patient(db, a, born=date(1960, 5, 5), programmes=(COPD, ASTMA))
    p[4] = make_patient(db, b, born=date(1940, 1, 1), programmes=(DM2,), start=END)
    p[5] = make_patient(db, a, programmes=())
    db.add(Enrolment(patient_id=p[5].id, programme=DM2, start_date=date(2020, 1, 1), end_date=END))
    p[6] = make_patient(db, a, programmes=(DM2,))
    move(db, p[6], b.id, date(2025, 6, 1))
    p[7] = make_patient(db, a, programmes=(DM2,))
    p[8] = make_patient(db, c, programmes=(DM2,))

    g1 = add_goal(db, p[1], [("active", date(2023, 1, 1), None)], agreed_on=date(2023, 1, 1))
    add_review(db, g1, date(2025, 5, 1))
    add_goal(
        db,
        p[2],
        [("active", date(2024, 6, 1), date(2026, 2, 1)), ("completed", date(2026, 2, 1), None)],
        agreed_on=date(2024, 6, 1),
        programmes=("DM2",),
    )
    add_goal(db, p[3], [("active", date(2025, 1, 1), None)], programmes=("COPD",))
    add_goal(db, p[3], [("active", date(2025, 1, 1), None)], programmes=("astma",))
    add_goal(
        db,
        p[4],
        [("active", date(2025, 12, 1), date(2026, 1, 10)), ("cancelled", date(2026, 1, 10), None)],
        agreed_on=date(2025, 12, 1),
    )
    g7 = add_goal(
        db,
        p[7],
        [("active", date(2024, 1, 1), date(2025, 11, 1)), ("cancelled", date(2025, 11, 1), None)],
        agreed_on=date(2024, 1, 1),
    )
    add_review(db, g7, date(2024, 12, 31))
    add_goal(db, p[8], [("active", date(2024, 1, 1), None)], agreed_on=date(2024, 1, 1))

    m = add_measurement
    m(db, p[1].id, "hba1c", 50, at=noon(date(2025, 3, 1)), unit="mmol/mol")
    m(db, p[1].id, "hba1c", 60, at=noon(date(2025, 10, 1)), unit="mmol/mol")
    m(db, p[2].id, "hba1c", 40, at=noon(date(2024, 12, 31)), unit="mmol/mol")
    m(db, p[4].id, "hba1c", 48, at=noon(END), unit="mmol/mol")
    m(db, p[6].id, "hba1c", 40, at=noon(date(2025, 5, 1)), unit="mmol/mol", superseded=True)
    m(db, p[8].id, "hba1c", 40, at=noon(date(2025, 5, 1)), unit="mmol/mol")
    m(db, p[1].id, "bp_systolic", 145, at=noon(date(2025, 6, 1)), unit="mm[Hg]")
    m(db, p[2].id, "bp_systolic", 138, at=noon(date(2025, 6, 1)), unit="mm[Hg]")
    m(db, p[1].id, "bmi", 27, at=noon(date(2025, 6, 1)))
    m(db, p[2].id, "bmi", 30, at=noon(date(2025, 6, 1)))
    m(db, p[3].id, "bmi", 24, at=noon(date(2025, 6, 1)))
    m(db, p[6].id, "bmi", 26, at=noon(date(2025, 6, 1)))
    m(db, p[7].id, "weight", 80, at=noon(date(2025, 6, 1)), unit="kg")
    m(db, p[7].id, "height", 180, at=noon(date(2025, 6, 1)), unit="cm")
    m(db, p[3].id, "smoking_status", value_code="never", at=noon(date(2025, 2, 2)), unit="")

    u1 = make_user(db, Role.patient, patient=p[1])
    u1.activated_at = noon(date(2025, 2, 1))
    u2 = make_user(db, Role.patient, patient=p[2])
    u2.activated_at = noon(date(2026, 1, 5))
    db.add_all([u1, u2])
    add_activity(db, p[1].id, END - timedelta(days=89), measurement=True)
    add_activity(db, p[2].id, END - timedelta(days=90))

    add_activation(db, p[1].id, 2, at=noon(END - timedelta(days=364)))
    add_activation(db, p[2].id, 3, at=noon(date(2025, 6, 1)))
    add_activation(db, p[2].id, 4, at=noon(date(2025, 8, 1)))
    add_activation(db, p[3].id, 1, at=noon(END - timedelta(days=365)))

    add_experience(db, p[1].id, invited=date(2025, 4, 1), completed=date(2025, 4, 2), score=80)
    add_experience(db, p[1].id, invited=date(2025, 8, 1), completed=date(2025, 9, 1), score=60)
    add_experience(db, p[2].id, invited=date(2025, 5, 1), completed=None)

    gli = make_intervention(db, g.id, name="GLI", conform=True, programmes=("DM2", "CVRM"))
    online = make_intervention(
        db, g.id, name="Online", conform=False, internet_based=True, programmes=("DM2",)
    )
    make_intervention(db, g.id, name="Oud", active=False, programmes=("DM2",))
    make_referral(db, p[1].id, online, rs.OFFERED, start=noon(date(2025, 3, 1)))
    make_referral(db, p[2].id, gli, rs.ACCEPTED, start=noon(date(2024, 3, 1)))

    db.add(
        PolicyVersion(
            care_group_id=g.id,
            title="Visie",
            status=PolicyStatus.draft,
            effective_on=date(2024, 1, 1),
        )
    )
    db.add(
        PolicyVersion(
            care_group_id=g.id,
            title="Visie",
            status=PolicyStatus.adopted,
            effective_on=date(2025, 3, 1),
            covers_patient_involvement=True,
            covers_incentives=True,
        )
    )
    db.add(
        DevelopmentAction(
            action_key="a1",
            care_group_id=g.id,
            kind=ActionKind.training,
            title="Scholing motiverende gespreksvoering",
            on_date=date(2025, 5, 1),
        )
    )
    db.add(PlatformStatement(care_group_id=g.id, on_list=True, stated_on=date(2025, 6, 1)))
    db.commit()
    return {"group": g, "a": a.id, "b": b.id, "c": c.id, "p": p}


def report(db, group, start=START, end=END, **kw):
    return compute_report(db, care_group_id=group["group"].id, start=start, end=end, **kw)


def counts(rep, indicator, practice=None, stratum=None):
    fig = rep.figure(indicator, practice, stratum)
    assert fig is not None, (indicator, practice, stratum)
    return fig.numerator, fig.denominator


def test_goal_indicators(db, group):
    rep = report(db, group)
    a, b = group["a"], group["b"]
    assert counts(rep, "I1") == (3, 6)
    assert counts(rep, "I1", a) == (2, 4)
    assert counts(rep, "I1", b) == (1, 2)
    assert rep.figure("I1").percentage == Decimal("50.0")
    assert counts(rep, "I1b") == (2, 3)
    assert rep.figure("I1b").percentage == Decimal("66.7")
    assert counts(rep, "I2", a) == (1, 2)
    assert counts(rep, "I2", b) == (0, 0)
    assert rep.figure("I2", b).percentage is None  # n/a, not 0%
    assert counts(rep, "I3") == (1, 4)


def test_other_care_group_and_practice_never_counted(db, group):
    rep = report(db, group)
    assert {f.practice_id for f in rep.figures} == {None, group["a"], group["b"]}


def test_goal_status_is_taken_on_d(db, group):
    # On 2025-10-31 p7's goal was still active, p5 still enrolled, p4 not yet enrolled.
    rep = report(db, group, end=date(2025, 10, 31))
    assert counts(rep, "I1", group["a"]) == (3, 5)
    assert counts(rep, "I1", group["b"]) == (0, 1)


def test_experience(db, group):
    rep = report(db, group)
    fig = rep.figure("I4")
    assert (fig.numerator, fig.denominator, fig.mean) == (1, 2, 60.0)


def test_lifestyle(db, group):
    rep = report(db, group)
    assert counts(rep, "L1") == (2, 3)
    assert counts(rep, "L2") == (1, 3)
    assert counts(rep, "L2", group["a"]) == (1, 2)
    assert counts(rep, "L2", group["b"]) == (0, 1)
    assert counts(rep, "L3") == (1, 1)


def test_lifestyle_denominator_reads_the_eligibility_table_where_it_answers(db, group):
    """L2's denominator is the maintained eligibility table's answer for the patients it
    answers for on d, the live criteria for the others: the same figures either way, and a
    row that says otherwise is what counts (so the table is what is read)."""
    from zelfzorg.leefstijl import eligibility
    from zelfzorg.leefstijl.models import Eligibility
    from zelfzorg.patients.population import population_subquery

    live = report(db, group)
    assert eligibility.rebuild(db, END)  # every patient answered for on d
    db.commit()
    stored = report(db, group)
    for practice in (None, group["a"], group["b"]):
        assert counts(stored, "L2", practice) == counts(live, "L2", practice)
    assert counts(stored, "L3") == counts(live, "L3")
    population = population_subquery(END, care_group_id=group["group"].id)
    flipped = db.exec(
        select(Eligibility).where(
            Eligibility.outcome != eligibility.ELIGIBLE,
            col(Eligibility.patient_id).in_(select(population.c.patient_id)),
            col(Eligibility.patient_id).not_in(
                select(Eligibility.patient_id).where(Eligibility.outcome == eligibility.ELIGIBLE)
            ),
        )
    ).first()
    flipped.outcome = eligibility.ELIGIBLE
    db.commit()
    numerator, denominator = counts(report(db, group), "L2")
    assert denominator == counts(live, "L2")[1] + 1
    # Its rows no longer valid on d: that patient is evaluated live again.
    db.execute(
        sa.update(Eligibility)
        .where(Eligibility.patient_id == flipped.patient_id)
        .values(computed_on=END + timedelta(days=1))
    )
    db.commit()
    assert counts(report(db, group), "L2") == counts(live, "L2")


def test_platform_and_activation(db, group):
    rep = report(db, group)
    assert counts(rep, "P1") == (1, 6)
    assert counts(rep, "P2") == (1, 6)
    assert counts(rep, "A1") == (2, 6)
    assert counts(rep, "A2", None, Stratum("level", "2")) == (1, 2)
    assert counts(rep, "A2", None, Stratum("level", "4")) == (1, 2)
    assert rep.figure("A2", None, Stratum("level", "3")) is None


def test_outcomes(db, group):
    rep = report(db, group)
    a, b = group["a"], group["b"]
    assert counts(rep, "O1") == (2, 5)
    assert counts(rep, "O1", a) == (1, 3)
    assert counts(rep, "O1", b) == (1, 2)
    assert counts(rep, "O1b") == (1, 2)
    assert counts(rep, "O1b", None, Stratum("age_band", ">=80")) == (1, 1)
    assert counts(rep, "O1b", None, Stratum("age_band", "70-79")) == (0, 1)
    assert counts(rep, "O1", None, Stratum("age_band", "<70")) == (0, 1)
    assert counts(rep, "O2") == (2, 5)
    assert counts(rep, "O2b") == (1, 2)
    assert counts(rep, "O3") == (5, 6)
    assert counts(rep, "O3b") == (2, 5)
    assert counts(rep, "O4") == (1, 1)


def test_readings_after_d_leave_an_earlier_period_as_it_was(db, group):
    """Each patient's latest value comes from ``measurement_latest`` (the newest reading of
    all); a reading after d must leave the period's figures as they were: the patient's value
    on d is looked up in ``measurement`` then."""
    from zelfzorg.telemonitoring.models import MeasurementLatest

    def outcome_figures():
        rep = report(db, group)
        return {
            (f.indicator, f.practice_id, f.stratum, f.numerator, f.denominator)
            for f in rep.figures
            if f.indicator.startswith("O")
        }

    before = outcome_figures()
    p = group["p"]
    later = noon(date(2026, 3, 1))
    add_measurement(db, p[1].id, "hba1c", 40, at=later, unit="mmol/mol")  # on target after d
    add_measurement(db, p[5].id, "hba1c", 40, at=later, unit="mmol/mol")  # none in the year
    add_measurement(db, p[2].id, "bp_systolic", 150, at=later, unit="mm[Hg]")
    add_measurement(db, p[3].id, "bmi", 30, at=later)
    add_measurement(db, p[7].id, "weight", 60, at=later, unit="kg")
    add_measurement(db, p[4].id, "smoking_status", value_code="current", at=later, unit="")
    db.commit()
    kept = db.get(MeasurementLatest, (p[1].id, "hba1c"))
    assert (kept.value, kept.measured_at) == (40, later)
    assert outcome_figures() == before
    assert counts(report(db, group, start=date(2026, 1, 1), end=date(2026, 12, 31)), "O1b")[0]


def test_strata(db, group):
    rep = report(db, group)
    a = group["a"]
    # Multimorbid patients count once per programme, once in the total.
    assert counts(rep, "I1", a, Stratum("programme", "DM2")) == (2, 3)
    assert counts(rep, "I1", a, Stratum("programme", "CVRM")) == (1, 1)
    assert counts(rep, "I1", a, Stratum("programme", "COPD")) == (0, 1)
    assert counts(rep, "I1", None, Stratum("sex", "female")) == (1, 1)
    assert counts(rep, "I1", None, Stratum("sex", "male")) == (2, 5)
    plain = report(db, group, strata=False).figures
    assert not [f for f in plain if f.stratum and f.stratum.key != "level"]  # A2's own split


def test_statements(db, group):
    rep = report(db, group)
    assert rep.figure("V1").statement is True
    assert rep.figure("V2").statement is True
    assert rep.figure("P0").statement is True
    early = report(db, group, start=date(2025, 1, 1), end=date(2025, 2, 1))
    assert early.figure("V1").statement is False  # still a draft on d
    assert early.figure("V2").statement is False  # no action dated in P
    assert early.figure("P0").statement is False  # stated later


def test_deleted_development_action_no_longer_counts(db, group):
    db.add(
        DevelopmentAction(
            action_key="a1",
            care_group_id=group["group"].id,
            kind=ActionKind.training,
            title="Scholing motiverende gespreksvoering",
            on_date=date(2025, 5, 1),
            deleted=True,
        )
    )
    db.commit()
    assert report(db, group).figure("V2").statement is False


def test_verdicts_follow_the_contract(db, group):
    contract = Contract(care_group_id=group["group"].id, insurer="VGZ", year=2025)
    db.add(contract)
    db.flush()
    db.add(
        ContractTerm(
            contract_id=contract.id, indicator="I1", target=Decimal("60"), kind="requirement"
        )
    )
    db.add(
        ContractTerm(
            contract_id=contract.id, indicator="I3", target=Decimal("25"), kind="requirement"
        )
    )
    db.add(
        ContractTerm(contract_id=contract.id, indicator="O1", counts=False, kind="informational")
    )
    db.commit()
    rep = report(db, group)
    verdicts = {v.indicator: v for v in rep.verdicts}
    assert rep.contract.insurer == "VGZ"
    assert verdicts["I1"].status == VerdictStatus.not_met
    assert verdicts["I1"].params == {
        "indicator": "I1",
        "value": Decimal("50.0"),
        "target": Decimal("60"),
    }
    assert verdicts["I3"].status == VerdictStatus.met
    assert verdicts["V1"].status == VerdictStatus.met
    assert verdicts["L1"].status == VerdictStatus.not_met  # 66.7% of pairs, 100% required
    assert verdicts["P0"].status == VerdictStatus.informational  # advice
    assert verdicts["O1"].status == VerdictStatus.informational
    assert verdicts["I2"].status == VerdictStatus.informational  # no target agreed


def test_zero_denominator_is_not_applicable(db, group):
    contract = Contract(care_group_id=group["group"].id, insurer="VGZ", year=2019)
    db.add(contract)
    db.flush()
    db.add(
        ContractTerm(
            contract_id=contract.id, indicator="I2", target=Decimal("50"), kind="requirement"
        )
    )
    db.commit()
    rep = report(db, group, start=date(2019, 1, 1), end=date(2019, 12, 31))
    verdict = {v.indicator: v for v in rep.verdicts}["I2"]
    assert counts(rep, "I2") == (0, 0)
    assert verdict.status == VerdictStatus.not_applicable


def test_fingerprint_changes_with_figures(db, group):
    first = report(db, group)
    assert report(db, group).fingerprint == first.fingerprint
    add_measurement(db, group["p"][6].id, "hba1c", 50, at=noon(date(2025, 7, 1)), unit="mmol/mol")
    db.commit()
    assert report(db, group).fingerprint != first.fingerprint
