"""Instrument versions in the database and the care groups' assessment settings.

Every definition that ever scored a response stays stored (``instrument_version``); a response
points at its version, so it is always shown and rescored with the items, table and cut-offs it
was given with. Per instrument code one version is *current* per scope: the platform (no care
group) or one care group. A care group's own version (a licensed file, or other cut-offs) wins
over the platform's for its patients.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import CareGroup
from zelfzorg.assessment.instruments import (
    InstrumentDefinition,
    InstrumentKind,
    builtin_instruments,
    checksum,
    definition_to_dict,
    instrument_from_dict,
    load_instrument,
    with_cutoffs,
)
from zelfzorg.assessment.models import AssessmentSetting, InstrumentVersion
from zelfzorg.errors import N_, ValidationError
from zelfzorg.models_base import utcnow

log = logging.getLogger(__name__)

ACTIVATION_CODE = "activation"
DEFAULT_DUE_MONTHS = 12
_definitions: dict[str, InstrumentDefinition] = {}


def definition_of(version: InstrumentVersion) -> InstrumentDefinition:
    """The stored definition, parsed once per content (keyed by checksum)."""
    found = _definitions.get(version.checksum)
    if found is None:
        found = instrument_from_dict(version.definition, source=f"{version.code} {version.version}")
        _definitions[version.checksum] = found
    return found


def _store(
    session: Session, definition: InstrumentDefinition, *, care_group_id: int | None
) -> InstrumentVersion | None:
    """Insert a version and make it current in its scope; None if another process won."""
    row = InstrumentVersion(
        code=definition.code,
        version=definition.version,
        kind=definition.kind.value,
        definition=definition_to_dict(definition),
        checksum=checksum(definition),
        care_group_id=care_group_id,
        is_current=True,
        loaded_at=utcnow(),
    )
    scope = (
        col(InstrumentVersion.care_group_id).is_(None)
        if care_group_id is None
        else InstrumentVersion.care_group_id == care_group_id
    )
    try:
        with session.begin_nested():
            session.execute(
                sa.update(InstrumentVersion)
                .where(InstrumentVersion.code == definition.code, scope)
                .values(is_current=False)
            )
            session.add(row)
    except IntegrityError:
        return None
    return row


def sync_builtins(session: Session) -> int:
    """Store built-in versions not yet in the database (idempotent); returns how many."""
    known = {
        (code, version): digest
        for code, version, digest in session.exec(
            select(InstrumentVersion.code, InstrumentVersion.version, InstrumentVersion.checksum)
        ).all()
    }
    added = 0
    for definition in builtin_instruments().values():
        stored = known.get((definition.code, definition.version))
        if stored is None:
            added += _store(session, definition, care_group_id=None) is not None
        elif stored != checksum(definition):
            # Responses were scored with the stored text: it stays. A changed built-in needs a
            # new version number.
            log.warning(
                "built-in %s %s differs from the stored version; the stored one is kept",
                definition.code,
                definition.version,
            )
    if added:
        session.flush()
    return added


@dataclass(frozen=True)
class LoadResult:
    version: InstrumentVersion
    created: bool


def load_instrument_file(
    session: Session, path: Path | str, *, care_group_id: int | None = None
) -> LoadResult:
    """Validate a definition file and store it as the new current version of its code.

    Loading the same content again is a no-op; the same code and version with other content is
    refused (responses scored with the stored content must keep it).
    """
    definition = load_instrument(Path(path))
    if care_group_id is not None and session.get(CareGroup, care_group_id) is None:
        raise ValidationError(
            N_("Zorggroep %(id)s bestaat niet."), field="care_group_id", id=care_group_id
        )
    sync_builtins(session)
    return _add_version(session, definition, care_group_id=care_group_id, source=Path(path).name)


def _add_version(
    session: Session,
    definition: InstrumentDefinition,
    *,
    care_group_id: int | None,
    source: str,
) -> LoadResult:
    digest = checksum(definition)
    same_code = session.exec(
        select(InstrumentVersion).where(InstrumentVersion.code == definition.code)
    ).all()
    for row in same_code:
        if row.version == definition.version:
            if row.checksum == digest and row.care_group_id == care_group_id:
                return LoadResult(row, created=False)
            raise ValidationError(
                N_(
                    "%(source)s: versie %(version)s van %(code)s is al geladen met een andere "
                    "inhoud of voor een andere zorggroep. Geef het bestand een nieuw "
                    "versienummer."
                ),
                field="version",
                source=source,
                version=definition.version,
                code=definition.code,
            )
        if row.kind != definition.kind.value:
            raise ValidationError(
                N_(
                    "%(source)s: %(code)s is eerder geladen als soort %(old)s, niet %(new)s. "
                    "Gebruik een andere code."
                ),
                field="kind",
                source=source,
                code=definition.code,
                old=row.kind,
                new=definition.kind.value,
            )
    row = _store(session, definition, care_group_id=care_group_id)
    if row is None:  # loaded at the same moment by another process
        row = session.exec(
            select(InstrumentVersion).where(
                InstrumentVersion.code == definition.code,
                InstrumentVersion.version == definition.version,
            )
        ).one()
        return LoadResult(row, created=False)
    session.flush()
    return LoadResult(row, created=True)


def current_versions(
    session: Session, care_group_id: int | None, *, kinds: tuple[InstrumentKind, ...] = ()
) -> list[InstrumentVersion]:
    """The current version per code for a care group's patients (its own one first)."""
    query = select(InstrumentVersion).where(
        InstrumentVersion.is_current == True,  # noqa: E712 - SQL expression
        sa.or_(
            col(InstrumentVersion.care_group_id).is_(None),
            InstrumentVersion.care_group_id == care_group_id,
        ),
    )
    if kinds:
        query = query.where(col(InstrumentVersion.kind).in_([k.value for k in kinds]))
    chosen: dict[str, InstrumentVersion] = {}
    for row in session.exec(query.order_by(InstrumentVersion.code, InstrumentVersion.id)).all():
        if row.code not in chosen or row.care_group_id is not None:
            chosen[row.code] = row
    order = {InstrumentKind.ACTIVATION: 0, InstrumentKind.SELF_EFFICACY: 1}
    return sorted(chosen.values(), key=lambda r: (order.get(InstrumentKind(r.kind), 9), r.code))


def current_version(
    session: Session, code: str, care_group_id: int | None
) -> InstrumentVersion | None:
    return next((v for v in current_versions(session, care_group_id) if v.code == code), None)


# --- care-group settings ---------------------------------------------------------------------


def settings_for(session: Session, care_group_id: int | None) -> AssessmentSetting | None:
    if care_group_id is None:
        return None
    return session.exec(
        select(AssessmentSetting).where(AssessmentSetting.care_group_id == care_group_id)
    ).first()


def review_interval(setting: AssessmentSetting | None, level_number: int, default: int) -> int:
    if setting is not None and str(level_number) in setting.review_interval_weeks:
        return int(setting.review_interval_weeks[str(level_number)])
    return default


def set_care_group_settings(
    session: Session,
    *,
    care_group_id: int,
    due_interval_months: int | None = None,
    review_interval_weeks: Mapping[int, int] | None = None,
    cutoffs: Mapping[int, tuple[float | Decimal, float | Decimal]] | None = None,
    now: datetime | None = None,
) -> AssessmentSetting:
    """Change a care group's settings. New cut-offs make a care-group version of the current
    activation instrument; earlier responses keep the version (and cut-offs) that scored them."""
    if session.get(CareGroup, care_group_id) is None:
        raise ValidationError(
            N_("Zorggroep %(id)s bestaat niet."), field="care_group_id", id=care_group_id
        )
    sync_builtins(session)
    base = current_version(session, ACTIVATION_CODE, None)
    assert base is not None  # the built-in is always there after sync
    levels = {level.number for level in definition_of(base).levels}
    if due_interval_months is not None and not 1 <= due_interval_months <= 60:
        raise ValidationError(
            N_("De termijn voor een nieuwe vragenlijst moet tussen 1 en 60 maanden liggen."),
            field="due_interval_months",
        )
    for number, weeks in (review_interval_weeks or {}).items():
        if number not in levels:
            raise ValidationError(
                N_("Niveau %(level)s bestaat niet."), field="review_interval_weeks", level=number
            )
        if not 1 <= weeks <= 104:
            raise ValidationError(
                N_("De evaluatietermijn moet tussen 1 en 104 weken liggen."),
                field="review_interval_weeks",
            )
    setting = settings_for(session, care_group_id) or AssessmentSetting(care_group_id=care_group_id)
    if cutoffs:
        current = current_version(session, ACTIVATION_CODE, care_group_id) or base
        own = session.exec(
            select(sa.func.count())
            .select_from(InstrumentVersion)
            .where(
                InstrumentVersion.code == ACTIVATION_CODE,
                InstrumentVersion.care_group_id == care_group_id,
            )
        ).one()
        derived = with_cutoffs(
            definition_of(current),
            cutoffs,
            version=f"{base.version}+zg{care_group_id}-{own + 1}",
            source=f"{ACTIVATION_CODE} {base.version}",
        )
        if [(lv.min, lv.max) for lv in derived.levels] != [
            (lv.min, lv.max) for lv in definition_of(current).levels
        ]:
            _add_version(session, derived, care_group_id=care_group_id, source=derived.version)
        setting.cutoffs = {
            **setting.cutoffs,
            **{str(n): [float(lo), float(hi)] for n, (lo, hi) in cutoffs.items()},
        }
    if due_interval_months is not None:
        setting.due_interval_months = due_interval_months
    if review_interval_weeks:
        setting.review_interval_weeks = {
            **setting.review_interval_weeks,
            **{str(n): int(w) for n, w in review_interval_weeks.items()},
        }
    setting.updated_at = now or utcnow()
    session.add(setting)
    session.flush()
    return setting
