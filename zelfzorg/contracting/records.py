"""The care group's own records for 004 clauses 2.1 and 2.4, and its contracts.

Only caregroup users change them, for their own care group (contracts are the care group's
agreement with an insurer; administrators manage the platform, not these agreements). Every
save inserts a new version row, so nothing is lost and "what was true on d" is a query.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Discipline, Practice, Role
from zelfzorg.accounts.scope import Actor, audit
from zelfzorg.audit.models import AuditAction
from zelfzorg.contracting.indicators import DEFINITION_VERSION, DEFINITIONS
from zelfzorg.contracting.models import (
    PDF_MAX_BYTES,
    TEXT_MAX,
    ActionKind,
    Contract,
    ContractTerm,
    DevelopmentAction,
    PlatformStatement,
    PolicyStatus,
    PolicyVersion,
)
from zelfzorg.contracting.report_data import IndicatorKind
from zelfzorg.errors import N_, Forbidden, NotFound, ValidationError
from zelfzorg.inputs import parse_id, parse_number
from zelfzorg.models_base import utcnow


def own_care_group(actor: Actor) -> int:
    if actor.role != Role.caregroup or actor.user.care_group_id is None:
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    return actor.user.care_group_id


def _text(
    value: str | None, field: str, *, required: bool = False, max_length: int = TEXT_MAX
) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError(N_("Vul dit veld in."), field=field)
    if len(text) > max_length:
        raise ValidationError(N_("Gebruik hoogstens %(max)s tekens."), field=field, max=max_length)
    return text


def _date(value: date | None, field: str) -> date:
    if value is None:
        raise ValidationError(N_("Vul een geldige datum in (dd-mm-jjjj)."), field=field)
    return value


# --- policy (V1) -----------------------------------------------------------------------------


def policy_versions(session: Session, care_group_id: int) -> list[PolicyVersion]:
    return list(
        session.exec(
            select(PolicyVersion)
            .where(PolicyVersion.care_group_id == care_group_id)
            .order_by(col(PolicyVersion.id).desc())
        ).all()
    )


def check_pdf(name: str | None, data: bytes | None) -> tuple[str, bytes] | None:
    if not data:
        return None
    if len(data) > PDF_MAX_BYTES:
        raise ValidationError(
            N_("Het bestand is te groot (hoogstens %(mb)s MB)."),
            field="pdf",
            mb=PDF_MAX_BYTES // 2**20,
        )
    if not data.startswith(b"%PDF-"):
        raise ValidationError(N_("Kies een PDF-bestand."), field="pdf")
    clean = "".join(c for c in (name or "beleid.pdf") if c.isalnum() or c in "._- ")[:150].strip()
    if not clean.lower().endswith(".pdf"):
        clean = f"{clean or 'beleid'}.pdf"
    return clean, data


def save_policy(
    session: Session,
    actor: Actor,
    *,
    title: str,
    status: str,
    effective_on: date | None,
    adopted_on: date | None,
    text: str,
    covers_patient_involvement: bool,
    patient_involvement_text: str,
    covers_incentives: bool,
    incentives_text: str,
    pdf_name: str | None = None,
    pdf_data: bytes | None = None,
    now: datetime | None = None,
) -> PolicyVersion:
    """A new version of the vision/policy; without a new PDF the previous one is kept."""
    group_id = own_care_group(actor)
    if status not in {s.value for s in PolicyStatus}:
        raise ValidationError(N_("Kies een status."), field="status")
    values = {
        "title": _text(title, "title", required=True, max_length=200),
        "text": _text(text, "text"),
        "patient_involvement_text": _text(
            patient_involvement_text,
            "patient_involvement_text",
            required=covers_patient_involvement,
        ),
        "incentives_text": _text(incentives_text, "incentives_text", required=covers_incentives),
    }
    effective = _date(effective_on, "effective_on")
    if status == PolicyStatus.adopted and adopted_on is None:
        raise ValidationError(N_("Vul de datum van vaststelling in."), field="adopted_on")
    pdf = check_pdf(pdf_name, pdf_data)
    previous = next(iter(policy_versions(session, group_id)), None)
    if pdf is None and previous is not None and previous.pdf_data:
        pdf = (previous.pdf_name or "beleid.pdf", previous.pdf_data)
    version = PolicyVersion(
        care_group_id=group_id,
        status=PolicyStatus(status),
        effective_on=effective,
        adopted_on=adopted_on,
        covers_patient_involvement=bool(covers_patient_involvement),
        covers_incentives=bool(covers_incentives),
        pdf_name=pdf[0] if pdf else None,
        pdf_data=pdf[1] if pdf else None,
        created_at=now or utcnow(),
        created_by_id=actor.user_id,
        **values,
    )
    session.add(version)
    session.flush()
    audit(session, actor, action=AuditAction.update, object_type="Policy", object_id=version.id)
    return version


def policy_pdf(session: Session, actor: Actor, version_id: int) -> PolicyVersion:
    group_id = own_care_group(actor)
    version = session.get(PolicyVersion, version_id)
    if version is None or version.care_group_id != group_id or not version.pdf_data:
        raise NotFound(N_("Dit bestand bestaat niet."))
    audit(session, actor, action=AuditAction.read, object_type="Policy", object_id=version.id)
    return version


# --- development plan (V2) -------------------------------------------------------------------


def current_actions(session: Session, care_group_id: int) -> list[DevelopmentAction]:
    ids = (
        select(func.max(DevelopmentAction.id))
        .where(DevelopmentAction.care_group_id == care_group_id)
        .group_by(DevelopmentAction.action_key)
    )
    return list(
        session.exec(
            select(DevelopmentAction)
            .where(col(DevelopmentAction.id).in_(ids), col(DevelopmentAction.deleted).is_(False))
            .order_by(col(DevelopmentAction.on_date).desc(), col(DevelopmentAction.id))
        ).all()
    )


def action_history(session: Session, care_group_id: int) -> list[DevelopmentAction]:
    return list(
        session.exec(
            select(DevelopmentAction)
            .where(DevelopmentAction.care_group_id == care_group_id)
            .order_by(col(DevelopmentAction.id).desc())
            .limit(200)
        ).all()
    )


def save_action(
    session: Session,
    actor: Actor,
    *,
    action_key: str | None,
    kind: str,
    title: str,
    on_date: date | None,
    practice_id: int | None,
    discipline: str | None,
    note: str,
    deleted: bool = False,
    now: datetime | None = None,
) -> DevelopmentAction:
    """Add an action (``action_key`` None) or a new version of one (edit or removal)."""
    group_id = own_care_group(actor)
    if action_key is not None:
        current = {a.action_key: a for a in current_actions(session, group_id)}.get(action_key)
        if current is None:
            raise NotFound(N_("Deze actie bestaat niet."))
    if kind not in {k.value for k in ActionKind}:
        raise ValidationError(N_("Kies het soort actie."), field="kind")
    if discipline and discipline not in {d.value for d in Discipline}:
        raise ValidationError(N_("Kies een discipline."), field="discipline")
    if practice_id is not None:
        practice = session.get(Practice, practice_id)
        if practice is None or practice.care_group_id != group_id:
            raise ValidationError(N_("Kies een praktijk van de zorggroep."), field="practice_id")
    action = DevelopmentAction(
        action_key=action_key or uuid.uuid4().hex,
        care_group_id=group_id,
        kind=ActionKind(kind),
        title=_text(title, "title", required=True, max_length=200),
        on_date=_date(on_date, "on_date"),
        practice_id=practice_id,
        discipline=discipline or None,
        note=_text(note, "note", max_length=2000),
        deleted=deleted,
        created_at=now or utcnow(),
        created_by_id=actor.user_id,
    )
    session.add(action)
    session.flush()
    audit(
        session,
        actor,
        action=AuditAction.delete if deleted else AuditAction.update,
        object_type="DevelopmentAction",
        object_id=action.action_key,
    )
    return action


def remove_action(
    session: Session, actor: Actor, action_key: str, *, now=None
) -> DevelopmentAction:
    group_id = own_care_group(actor)
    current = {a.action_key: a for a in current_actions(session, group_id)}.get(action_key)
    if current is None:
        raise NotFound(N_("Deze actie bestaat niet."))
    return save_action(
        session,
        actor,
        action_key=action_key,
        kind=current.kind,
        title=current.title,
        on_date=current.on_date,
        practice_id=current.practice_id,
        discipline=current.discipline,
        note=current.note,
        deleted=True,
        now=now,
    )


# --- platform statement (P0) -----------------------------------------------------------------


def statements(session: Session, care_group_id: int) -> list[PlatformStatement]:
    return list(
        session.exec(
            select(PlatformStatement)
            .where(PlatformStatement.care_group_id == care_group_id)
            .order_by(col(PlatformStatement.id).desc())
        ).all()
    )


def save_statement(
    session: Session, actor: Actor, *, on_list: bool, stated_on: date | None, note: str, now=None
) -> PlatformStatement:
    group_id = own_care_group(actor)
    statement = PlatformStatement(
        care_group_id=group_id,
        on_list=bool(on_list),
        stated_on=_date(stated_on, "stated_on"),
        note=_text(note, "note", max_length=2000),
        created_at=now or utcnow(),
        created_by_id=actor.user_id,
    )
    session.add(statement)
    session.flush()
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type="PlatformStatement",
        object_id=statement.id,
    )
    return statement


# --- contracts -------------------------------------------------------------------------------


def contracts(session: Session, care_group_id: int) -> list[Contract]:
    return list(
        session.exec(
            select(Contract)
            .where(Contract.care_group_id == care_group_id)
            .order_by(col(Contract.year).desc(), col(Contract.insurer))
        ).all()
    )


def default_terms() -> dict[str, tuple[bool, Decimal | None, str]]:
    """The 2015 conditions: every indicator counts with its own kind; L1 requires 100%."""
    return {
        d.info.id: (True, Decimal("100") if d.info.id == "L1" else None, d.info.kind.value)
        for d in DEFINITIONS
    }


def create_contract(
    session: Session, actor: Actor, *, insurer: str, year: str | int | None, now=None
) -> Contract:
    group_id = own_care_group(actor)
    name = _text(insurer, "insurer", required=True, max_length=200)
    year_value = parse_id(year if isinstance(year, int) else str(year or ""))
    if year_value is None:
        raise ValidationError(N_("Vul een jaartal in, bijvoorbeeld 2025."), field="year")
    if not 2015 <= year_value <= 2100:
        raise ValidationError(N_("Vul een jaartal in vanaf 2015."), field="year")
    exists = session.exec(
        select(Contract).where(
            Contract.care_group_id == group_id,
            Contract.insurer == name,
            Contract.year == year_value,
        )
    ).first()
    if exists:
        raise ValidationError(
            N_("Er is al een contract met deze verzekeraar voor dit jaar."), field="insurer"
        )
    contract = Contract(
        care_group_id=group_id,
        insurer=name,
        year=year_value,
        definition_version=DEFINITION_VERSION,
        created_by_id=actor.user_id,
        created_at=now or utcnow(),
        updated_at=now or utcnow(),
    )
    session.add(contract)
    session.flush()
    for indicator, (counts, target, kind) in default_terms().items():
        session.add(
            ContractTerm(
                contract_id=contract.id,
                indicator=indicator,
                counts=counts,
                target=target,
                kind=kind,
            )
        )
    session.flush()
    audit(session, actor, action=AuditAction.create, object_type="Contract", object_id=contract.id)
    return contract


def load_contract(
    session: Session, actor: Actor, contract_id: int
) -> tuple[Contract, list[ContractTerm]]:
    group_id = own_care_group(actor)
    contract = session.get(Contract, contract_id)
    if contract is None or contract.care_group_id != group_id:
        raise NotFound(N_("Dit contract bestaat niet of u heeft er geen toegang toe."))
    terms = session.exec(select(ContractTerm).where(ContractTerm.contract_id == contract.id)).all()
    order = [d.info.id for d in DEFINITIONS]
    return contract, sorted(
        terms, key=lambda t: order.index(t.indicator) if t.indicator in order else 99
    )


def parse_target(raw: str | None, indicator: str) -> Decimal | None:
    """A target percentage as people type it (60 or 62,5), through the one number parser."""
    message = N_("%(indicator)s: vul een percentage tussen 0 en 100 in.")
    try:
        value = parse_number(raw, field=f"target_{indicator}", minimum=0, maximum=100)
    except ValidationError:
        raise ValidationError(message, field=f"target_{indicator}", indicator=indicator) from None
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"))


def update_terms(
    session: Session,
    actor: Actor,
    contract_id: int,
    values: dict[str, tuple[bool, str | None, str]],
    *,
    now=None,
) -> Contract:
    """Set (counts, target text, kind) per indicator; all checked before anything changes."""
    contract, terms = load_contract(session, actor, contract_id)
    kinds = {k.value for k in IndicatorKind}
    cleaned = {}
    for term in terms:
        counts, raw_target, kind = values.get(term.indicator, (term.counts, None, term.kind))
        if kind not in kinds:
            raise ValidationError(N_("Kies een soort."), field=f"kind_{term.indicator}")
        cleaned[term.indicator] = (bool(counts), parse_target(raw_target, term.indicator), kind)
    for term in terms:
        term.counts, term.target, term.kind = cleaned[term.indicator]
        session.add(term)
    contract.updated_at = now or utcnow()
    session.add(contract)
    session.flush()
    audit(session, actor, action=AuditAction.update, object_type="Contract", object_id=contract.id)
    return contract
