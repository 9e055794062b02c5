"""Contracting reports: build a report (figures + verdicts) for a care group and period.

``build_report`` is the entry point every view and export uses; it returns plain
:class:`~zelfzorg.contracting.report_data.ReportData` (no ORM objects).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from zelfzorg.accounts.models import CareGroup, Practice
from zelfzorg.accounts.scope import Actor, care_group_scope
from zelfzorg.contracting import engine
from zelfzorg.contracting.indicators import DEFINITION_VERSION, Context, Definition, definitions_for
from zelfzorg.contracting.models import Contract, ContractTerm
from zelfzorg.contracting.report_data import (
    ContractInfo,
    Figure,
    IndicatorKind,
    PracticeInfo,
    ReportData,
    Verdict,
    VerdictStatus,
)
from zelfzorg.errors import N_, ValidationError
from zelfzorg.models_base import utcnow

MAX_PERIOD_DAYS = 3 * 366


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None or end is None:
        raise ValidationError(N_("Vul een begin- en einddatum in."))
    if start > end:
        raise ValidationError(N_("De begindatum ligt na de einddatum."))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError(N_("Kies een periode van hoogstens drie jaar."))
    return start, end


def contract_for(session: Session, care_group_id: int, year: int) -> Contract | None:
    """The care group's contract for ``year`` (the first insurer by name if several)."""
    return session.exec(
        select(Contract)
        .where(Contract.care_group_id == care_group_id, Contract.year == year)
        .order_by(Contract.insurer, Contract.id)
    ).first()


def terms_of(session: Session, contract: Contract | None) -> dict[str, ContractTerm]:
    if contract is None:
        return {}
    rows = session.exec(select(ContractTerm).where(ContractTerm.contract_id == contract.id)).all()
    return {t.indicator: t for t in rows}


def build_report(
    session: Session,
    actor: Actor,
    *,
    care_group_id: int,
    start: date,
    end: date,
    strata: bool = True,
    contract_id: int | None = None,
    now: datetime | None = None,
) -> ReportData:
    """All indicators for the care group and each of its practices over P = [start, end]."""
    start, end = check_period(start, end)
    scope = care_group_scope(session, actor, care_group_id, object_type="CareGroupReport")
    return compute_report(
        session,
        care_group_id=scope.care_group_id,
        start=start,
        end=end,
        strata=strata,
        contract_id=contract_id,
        now=now,
    )


def compute_report(
    session: Session,
    *,
    care_group_id: int,
    start: date,
    end: date,
    strata: bool = True,
    contract_id: int | None = None,
    now: datetime | None = None,
) -> ReportData:
    """:func:`build_report` without the access check (for jobs and the CLI, which check
    access themselves)."""
    group = session.get(CareGroup, care_group_id)
    if group is None:
        raise ValidationError(N_("Deze zorggroep bestaat niet."))
    contract = (
        session.get(Contract, contract_id)
        if contract_id
        else contract_for(session, care_group_id, end.year)
    )
    if contract is not None and contract.care_group_id != care_group_id:
        contract = None
    version = contract.definition_version if contract else DEFINITION_VERSION
    definitions = definitions_for(version)
    practices = session.exec(
        select(Practice)
        .where(Practice.care_group_id == care_group_id)
        .order_by(Practice.name, Practice.id)
    ).all()
    ctx = Context(session=session, care_group_id=care_group_id, start=start, end=end)
    figures = engine.compute(session, ctx, definitions, [p.id for p in practices], strata=strata)
    terms = terms_of(session, contract)
    verdicts = [
        verdict_for(d, _total(figures, d.info.id), terms.get(d.info.id)) for d in definitions
    ]
    return ReportData(
        care_group_id=care_group_id,
        care_group_name=group.name,
        period_start=start,
        period_end=end,
        definition_version=version,
        contract=ContractInfo(insurer=contract.insurer, year=contract.year) if contract else None,
        practices=[PracticeInfo(id=p.id, name=p.name) for p in practices],  # type: ignore[arg-type]
        indicators=[d.info for d in definitions],
        figures=figures,
        verdicts=verdicts,
        generated_at=now or utcnow(),
        fingerprint=fingerprint(figures, version),
    )


def _total(figures: list[Figure], indicator: str) -> Figure | None:
    for figure in figures:
        if figure.indicator == indicator and figure.practice_id is None and figure.stratum is None:
            return figure
    return None


# Reasons are Dutch msgids with parameters; whoever shows them translates and formats
# (``value`` and ``target`` are Decimals, percentages with one decimal).
REASON_MET = N_("%(indicator)s %(value)s%% ≥ doel %(target)s%%")
REASON_NOT_MET = N_("%(indicator)s %(value)s%% < doel %(target)s%%")
REASON_NO_DENOMINATOR = N_("%(indicator)s: niet van toepassing (noemer 0)")
REASON_STATEMENT_YES = N_("%(indicator)s: ja")
REASON_STATEMENT_NO = N_("%(indicator)s: nee")
REASON_NO_TARGET = N_("%(indicator)s: geen doel in het contract")
REASON_NOT_COUNTED = N_("%(indicator)s: telt niet mee in dit contract")
REASON_INFORMATIONAL = N_("%(indicator)s: ter informatie")
# L1's requirement is every pair (DESIGN.md section 4); a contract may set another target.
DEFAULT_TARGETS = {"L1": Decimal("100")}


def verdict_for(definition: Definition, total: Figure | None, term: ContractTerm | None) -> Verdict:
    """Met / not met / not applicable / informational, and why (DESIGN.md section 4: only
    requirements and contract targets yield met or not met)."""
    info = definition.info
    params: dict[str, object] = {"indicator": info.id}
    if term is not None and not term.counts:
        return Verdict(info.id, VerdictStatus.informational, REASON_NOT_COUNTED, params)
    kind = IndicatorKind(term.kind) if term is not None and term.kind else info.kind
    target = term.target if term is not None and term.target is not None else None
    if target is None and kind == IndicatorKind.requirement:
        target = DEFAULT_TARGETS.get(info.id)
    if info.statement:
        yes = bool(total and total.statement)
        reason = REASON_STATEMENT_YES if yes else REASON_STATEMENT_NO
        if kind == IndicatorKind.requirement:
            return Verdict(
                info.id, VerdictStatus.met if yes else VerdictStatus.not_met, reason, params
            )
        return Verdict(info.id, VerdictStatus.informational, reason, params)
    if kind != IndicatorKind.requirement and target is None:
        return Verdict(info.id, VerdictStatus.informational, REASON_INFORMATIONAL, params)
    value = total.percentage if total is not None else None
    if value is None:
        return Verdict(info.id, VerdictStatus.not_applicable, REASON_NO_DENOMINATOR, params, target)
    params["value"] = value
    if target is None:
        return Verdict(info.id, VerdictStatus.informational, REASON_NO_TARGET, params)
    params["target"] = Decimal(target)
    if value >= Decimal(target):
        return Verdict(info.id, VerdictStatus.met, REASON_MET, params, Decimal(target))
    return Verdict(info.id, VerdictStatus.not_met, REASON_NOT_MET, params, Decimal(target))


# --- reproducibility -------------------------------------------------------------------------


def figure_key(figure: Figure) -> str:
    stratum = f"{figure.stratum.key}={figure.stratum.value}" if figure.stratum else ""
    practice = "" if figure.practice_id is None else str(figure.practice_id)
    return f"{figure.indicator}|{practice}|{stratum}"


def figure_json(figure: Figure) -> dict:
    return {
        "key": figure_key(figure),
        "indicator": figure.indicator,
        "practice_id": figure.practice_id,
        "stratum": [figure.stratum.key, figure.stratum.value] if figure.stratum else None,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "statement": figure.statement,
        "mean": figure.mean,
    }


def fingerprint(figures: list[Figure], version: int) -> str:
    """SHA-256 over the definition version and every figure, in a canonical order."""
    payload = {
        "version": version,
        "figures": sorted((figure_json(f) for f in figures), key=lambda f: f["key"]),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def practices_of(session: Session, care_group_id: int) -> list[Practice]:
    return list(
        session.exec(
            select(Practice)
            .where(Practice.care_group_id == care_group_id)
            .order_by(col(Practice.name), col(Practice.id))
        ).all()
    )
