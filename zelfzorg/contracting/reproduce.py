"""Reproducible reports: generating a report stores its figures, definition version and
fingerprint; regenerating the same period later lists what changed per indicator, practice
and stratum (late entries, corrections) instead of silently showing other numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Practice
from zelfzorg.accounts.scope import Actor, care_group_scope
from zelfzorg.contracting.history import utc_end
from zelfzorg.contracting.models import StoredReport
from zelfzorg.contracting.report_data import ReportData
from zelfzorg.contracting.services import contract_for, figure_json
from zelfzorg.errors import N_, NotFound
from zelfzorg.izp.models import GoalReview
from zelfzorg.patients.models import Enrolment, Patient, PracticePeriod
from zelfzorg.telemonitoring.models import Measurement


def store_report(session: Session, actor: Actor | None, report: ReportData) -> StoredReport:
    contract = contract_for(session, report.care_group_id, report.period_end.year)
    stored = StoredReport(
        care_group_id=report.care_group_id,
        period_start=report.period_start,
        period_end=report.period_end,
        definition_version=report.definition_version,
        contract_id=contract.id if contract and report.contract else None,
        fingerprint=report.fingerprint,
        figures=[figure_json(f) for f in report.figures],
        generated_at=report.generated_at,
        generated_by_id=actor.user_id if actor else None,
    )
    session.add(stored)
    session.flush()
    return stored


def stored_reports(session: Session, actor: Actor, care_group_id: int) -> list[StoredReport]:
    scope = care_group_scope(session, actor, care_group_id, object_type="CareGroupReport")
    return list(
        session.exec(
            select(StoredReport)
            .where(StoredReport.care_group_id == scope.care_group_id)
            .order_by(col(StoredReport.generated_at).desc(), col(StoredReport.id).desc())
            .limit(50)
        ).all()
    )


def load_stored(session: Session, actor: Actor, report_id: int) -> StoredReport:
    stored = session.get(StoredReport, report_id)
    scope = care_group_scope(session, actor, None, object_type="CareGroupReport")
    if stored is None or stored.care_group_id != scope.care_group_id:
        raise NotFound(N_("Dit rapport bestaat niet of u heeft er geen toegang toe."))
    return stored


def previous_for(
    session: Session, care_group_id: int, start: date, end: date
) -> StoredReport | None:
    return session.exec(
        select(StoredReport)
        .where(
            StoredReport.care_group_id == care_group_id,
            StoredReport.period_start == start,
            StoredReport.period_end == end,
        )
        .order_by(col(StoredReport.generated_at).desc(), col(StoredReport.id).desc())
    ).first()


@dataclass(frozen=True)
class Change:
    key: str
    indicator: str
    practice_id: int | None
    stratum: tuple[str, str] | None
    field: str  # numerator, denominator, statement, mean
    before: object
    after: object


@dataclass(frozen=True)
class Comparison:
    stored_fingerprint: str
    current_fingerprint: str
    stored_version: int
    current_version: int
    generated_at: datetime
    changes: list[Change]

    @property
    def same(self) -> bool:
        return self.stored_fingerprint == self.current_fingerprint

    @property
    def definitions_changed(self) -> bool:
        return self.stored_version != self.current_version


FIELDS = ("numerator", "denominator", "statement", "mean")


def compare(stored: StoredReport, current: ReportData) -> Comparison:
    """Every figure field that differs between the stored report and ``current``; a figure
    present on one side only counts as all its fields changing from or to nothing."""
    before = {f["key"]: f for f in stored.figures}
    after = {f["key"]: f for f in (figure_json(x) for x in current.figures)}
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, {}), after.get(key, {})
        base = new or old
        for field in FIELDS:
            if old.get(field) != new.get(field):
                stratum = base.get("stratum")
                changes.append(
                    Change(
                        key,
                        base["indicator"],
                        base.get("practice_id"),
                        tuple(stratum) if stratum else None,  # type: ignore[arg-type]
                        field,
                        old.get(field),
                        new.get(field),
                    )
                )
    return Comparison(
        stored.fingerprint,
        current.fingerprint,
        stored.definition_version,
        current.definition_version,
        stored.generated_at,
        changes,
    )


@dataclass(frozen=True)
class Cause:
    kind: str  # a Dutch msgid saying what was entered or corrected later
    count: int


CAUSES = {
    "late_measurements": N_("Metingen uit de periode die later zijn ingevoerd"),
    "corrections": N_("Metingen die later zijn gecorrigeerd"),
    "late_enrolments": N_("Inschrijvingen in een zorgprogramma die later zijn vastgelegd"),
    "moves": N_("Verhuizingen naar een andere praktijk die later zijn vastgelegd"),
    "late_reviews": N_("Evaluaties van doelen die later zijn vastgelegd"),
    "erased": N_("Patiënten van wie de gegevens op hun verzoek zijn verwijderd"),
}


def causes(session: Session, stored: StoredReport) -> list[Cause]:
    """Why figures may differ: data of the care group entered or corrected after the stored
    report was generated, counted per kind (one query each, no patient identities)."""
    since = stored.generated_at
    period_end = utc_end(stored.period_end)
    practices = select(Practice.id).where(Practice.care_group_id == stored.care_group_id)
    patients = select(Patient.id).where(col(Patient.practice_id).in_(practices))

    def count(model, *conditions) -> int:
        return session.exec(
            select(func.count())
            .select_from(model)
            .where(col(model.patient_id).in_(patients), *conditions)
        ).one()

    found = {
        "late_measurements": count(
            Measurement,
            col(Measurement.created_at) > since,
            col(Measurement.measured_at) < period_end,
        ),
        "corrections": count(
            Measurement,
            col(Measurement.superseded_at) > since,
            col(Measurement.measured_at) < period_end,
        ),
        "late_enrolments": count(
            Enrolment, col(Enrolment.created_at) > since, Enrolment.start_date <= stored.period_end
        ),
        "moves": count(
            PracticePeriod,
            col(PracticePeriod.created_at) > since,
            PracticePeriod.start_date <= stored.period_end,
        ),
        "late_reviews": count(
            GoalReview, col(GoalReview.created_at) > since, col(GoalReview.reviewed_at) < period_end
        ),
        # An erased patient's rows are gone, so a recount no longer includes them (the stored
        # figures keep them); the stub still names the practice, so they are counted here.
        "erased": session.exec(
            select(func.count())
            .select_from(Patient)
            .where(col(Patient.id).in_(patients), col(Patient.erased_at) > since)
        ).one(),
    }
    return [Cause(CAUSES[k], v) for k, v in found.items() if v]
