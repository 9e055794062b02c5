"""Import of readings (CSV through the CLI, JSON from devices), idempotent by source id.

A batch is checked as a whole first. By default one bad row refuses the batch and nothing is
stored; with ``partial`` the good rows are stored and the bad ones listed. A reading whose
(patient, source id) is already stored, or appears twice in the batch, is stored once.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from zelfzorg.audit.models import AuditAction
from zelfzorg.audit.services import AuditSubject, record
from zelfzorg.db import gc_paused, insert_rows
from zelfzorg.db import stored_keys as find_stored
from zelfzorg.errors import N_, ValidationError
from zelfzorg.inputs import (
    E_CONTROL,
    has_control_characters,
    parse_datetime,
    parse_id,
    parse_number,
)
from zelfzorg.patients.models import Patient
from zelfzorg.telemonitoring.alerts import evaluate_rows
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource
from zelfzorg.telemonitoring.plausibility import CLOCK_SKEW, check_time, check_value
from zelfzorg.telemonitoring.types import (
    MeasurementType,
    PlausibleRange,
    Text,
    format_plain,
    get_type,
    load_types,
    render_message,
    type_for_loinc,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CHUNK = 1000
MAX_ROWS = 500_000


@dataclass(frozen=True)
class RowError:
    line: int
    message: str  # Dutch msgid
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, lang: str = "nl", translate: Callable[[str], str] | None = None) -> str:
        return render_message(self.message, self.params, lang, translate)


@dataclass
class ImportResult:
    stored: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    refused: bool = False  # nothing stored because of the errors (not partial)
    patient_ids: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Row:
    """What an accepted row becomes (and what alert evaluation reads)."""

    patient_id: int
    type_code: str
    value: float | None
    value_code: str | None
    unit: str
    measured_at: datetime
    source_id: str | None
    line: int = 0
    reading_key: str | None = None  # the file's reading_id: groups a BP pair
    reading_id: str | None = None  # what is stored: shared by the two rows of a BP pair
    id: int | None = None


class _Bad(Exception):
    def __init__(self, message: str, **params: object) -> None:
        self.message, self.params = message, params


def _text(raw: Mapping[str, object], key: str) -> str:
    value = raw.get(key)
    text = "" if value is None else str(value).strip()
    if has_control_characters(text):
        raise _Bad(E_CONTROL)
    return text


def _resolve_type(raw: Mapping[str, object]) -> MeasurementType:
    code, loinc = _text(raw, "type_code"), _text(raw, "loinc")
    if code:
        if code not in load_types():
            raise _Bad(N_("Onbekend meettype: %(code)s."), code=code)
        return get_type(code)
    if loinc:
        mtype = type_for_loinc(loinc)
        if mtype is None:
            raise _Bad(N_("Onbekende LOINC-code: %(code)s."), code=loinc)
        return mtype
    raise _Bad(N_("Geef een meettype (type_code) of een LOINC-code (loinc)."))


def _parse_time(text: str) -> datetime:
    if not text:
        raise _Bad(N_("Geef het tijdstip van de meting (measured_at)."))
    try:  # local (Dutch) time when no offset is given; years outside 1900-2100 refused
        return parse_datetime(text)
    except ValidationError as error:
        raise _Bad(error.message, **error.params) from None


def _check_row(
    raw: Mapping[str, object], patient_id: int, now: datetime, born: date | None = None
) -> _Row:
    mtype = _resolve_type(raw)
    if mtype.derived is not None:
        raise _Bad(N_("%(code)s wordt berekend en kan niet worden ingelezen."), code=mtype.code)
    measured_at = _parse_time(_text(raw, "measured_at"))
    unit = _text(raw, "unit")
    value_text = raw.get("value")
    value: float | None = None
    value_code: str | None = None
    if mtype.is_quantity:
        accepted = {mtype.unit, mtype.unit_label("nl"), mtype.unit_label("en")}
        if unit and unit not in accepted:
            raise _Bad(
                N_("De eenheid %(unit)s past niet bij %(code)s; verwacht is %(expected)s."),
                unit=unit[:20],
                code=mtype.code,
                expected=mtype.unit,
            )
        try:  # a JSON number, or text as people type it ("7,2"); no "1e2", "1_20", "١٢"
            value = parse_number(value_text)
        except ValidationError:
            value = None
        if value is None:
            raise _Bad(N_("De waarde %(value)s is geen getal."), value=str(value_text)[:40])
        problems = check_value(mtype, value)
    else:
        value_code = str(value_text or "").strip()
        problems = check_value(mtype, value_code)
    problems += check_time(measured_at, now, max_age_years=None, born=born)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise _Bad(errors[0].message, **dict(errors[0].params))
    source_id = _text(raw, "source_id") or None
    if source_id is not None and len(source_id) > 100:
        raise _Bad(N_("De bron-id is te lang (hoogstens 100 tekens)."))
    reading_key = _text(raw, "reading_id") or None
    if reading_key is not None and len(reading_key) > 100:
        raise _Bad(N_("De reading_id is te lang (hoogstens 100 tekens)."))
    return _Row(
        reading_key=reading_key,
        patient_id=patient_id,
        type_code=mtype.code,
        value=value,
        value_code=value_code,
        unit=mtype.unit or "",
        measured_at=measured_at,
        source_id=source_id,
    )


class _FastCheck:
    """The common row checked in few steps: text without control characters, a known
    quantity type by code, an ISO time, a plain number inside the plausible range, a time
    neither in the future nor before birth. It gives exactly what ``_check_row`` gives for
    such a row and ``None`` for anything else, which then goes through ``_check_row`` (and
    gets its message there): what is accepted or refused, and why, is ``_check_row``'s.
    tests/telemonitoring/test_import_fast.py compares the two on tricky inputs."""

    def __init__(self, now: datetime) -> None:
        self.latest = now + CLOCK_SKEW
        self.types: dict[str, tuple[MeasurementType, frozenset[str], PlausibleRange, str]] = {}
        for code, mtype in load_types().items():
            if mtype.is_quantity and mtype.derived is None and mtype.plausible is not None:
                units = frozenset({"", mtype.unit, mtype.unit_label("nl"), mtype.unit_label("en")})
                self.types[code] = (mtype, units, mtype.plausible, mtype.unit or "")

    def row(self, raw: Mapping[str, object], patient_id: int, born: date | None) -> _Row | None:
        try:  # a file's row: only text
            joined = "".join(raw.values())  # type: ignore[arg-type]
        except TypeError:  # JSON: numbers too, maybe null; anything else is not common
            texts = []
            for value in raw.values():
                if isinstance(value, str):
                    texts.append(value)
                elif value is not None and type(value) not in (int, float):
                    return None
            joined = "".join(texts)
        if has_control_characters(joined):
            return None
        info = self.types.get(_strip(raw.get("type_code")))
        if info is None:
            return None
        mtype, units, plausible, unit = info
        if _strip(raw.get("unit")) not in units:
            return None
        try:
            measured_at = parse_datetime(_strip(raw.get("measured_at")))
            value = parse_number(raw.get("value"))
        except ValidationError:
            return None
        # Dutch local dates are never earlier than UTC ones: after 1900 and not before birth.
        if measured_at > self.latest or measured_at.year <= 1900:
            return None
        if born is not None and measured_at.date() < born:
            return None
        if value is None or not plausible.contains(value):
            return None
        source_id = _strip(raw.get("source_id")) or None
        reading_key = _strip(raw.get("reading_id")) or None
        if (source_id is not None and len(source_id) > 100) or (
            reading_key is not None and len(reading_key) > 100
        ):
            return None
        return _Row(
            patient_id=patient_id,
            type_code=mtype.code,
            value=value,
            value_code=None,
            unit=unit,
            measured_at=measured_at,
            source_id=source_id,
            reading_key=reading_key,
        )


def _strip(value: object) -> str:
    """``_text`` without its control-character check (``_FastCheck`` checks the whole row)."""
    if type(value) is str:
        return value.strip()
    return "" if value is None else str(value).strip()


def _plain(value: float) -> Text:
    return Text(nl=format_plain(value, "nl"), en=format_plain(value, "en"))


def _pair_blood_pressures(accepted: list[tuple[int, _Row]], result: ImportResult) -> None:
    """Systolic and diastolic rows of one reading (the same ``reading_id``, or without one the
    same patient and moment) are checked as a pair, like the entry form does, and stored with
    a shared reading id. A pair whose diastolic is not below its systolic is refused whole."""
    groups: dict[tuple, dict[str, list[_Row]]] = {}
    for _line, row in accepted:
        if row.type_code in ("bp_systolic", "bp_diastolic"):
            key = (
                (row.patient_id, "reading", row.reading_key)
                if row.reading_key
                else (row.patient_id, "moment", row.measured_at)
            )
            groups.setdefault(key, {}).setdefault(row.type_code, []).append(row)
    refused: set[int] = set()
    for members in groups.values():
        systolics, diastolics = members.get("bp_systolic", []), members.get("bp_diastolic", [])
        if len(systolics) != 1 or len(diastolics) != 1:
            continue  # not one clear pair: each row stands on its own checks
        systolic, diastolic = systolics[0], diastolics[0]
        assert systolic.value is not None and diastolic.value is not None
        if diastolic.value < systolic.value:
            systolic.reading_id = diastolic.reading_id = uuid.uuid4().hex
            continue
        result.errors.append(
            RowError(
                diastolic.line,
                N_(
                    "De onderdruk (%(diastolic)s mmHg) moet lager zijn dan de bovendruk van "
                    "regel %(line)s (%(systolic)s mmHg). Zijn ze omgewisseld?"
                ),
                {
                    "diastolic": _plain(diastolic.value),
                    "systolic": _plain(systolic.value),
                    "line": systolic.line,
                },
            )
        )
        result.errors.append(
            RowError(
                systolic.line,
                N_("Hoort bij de afgekeurde bloeddruk van regel %(line)s."),
                {"line": diastolic.line},
            )
        )
        refused.update((id(systolic), id(diastolic)))
    if refused:
        accepted[:] = [(line, row) for line, row in accepted if id(row) not in refused]
        result.errors.sort(key=lambda e: e.line)


def _chunks(items: Sequence, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _patient_map(
    session: Session, rows: Sequence[tuple[int, Mapping[str, object]]]
) -> tuple[dict[int, Patient], dict[tuple[int, str], Patient]]:
    ids: set[int] = set()
    his: set[tuple[int, str]] = set()
    named: Iterable[tuple] = [
        (raw.get("patient_id"), raw.get("practice"), raw.get("his_number")) for _l, raw in rows
    ]
    # Usually as many as patients: each parsed once. A list or object (JSON) among them is
    # unhashable: then each row on its own.
    with contextlib.suppress(TypeError):
        named = set(named)
    for pid_raw, practice_raw, number_raw in named:
        raw = {"patient_id": pid_raw, "practice": practice_raw, "his_number": number_raw}
        try:
            pid = parse_id(_text(raw, "patient_id"))
            practice, number = parse_id(_text(raw, "practice")), _text(raw, "his_number")
        except _Bad:
            continue  # the row is refused with its message below
        if pid is not None:
            ids.add(pid)
        if practice is not None and number:
            his.add((practice, number))
    by_id: dict[int, Patient] = {}
    for chunk in _chunks(sorted(ids)):
        for p in session.exec(select(Patient).where(col(Patient.id).in_(chunk))).all():
            by_id[p.id] = p  # type: ignore[index]
    by_his: dict[tuple[int, str], Patient] = {}
    for chunk in _chunks(sorted(his)):
        for p in session.exec(
            select(Patient).where(tuple_(Patient.practice_id, Patient.his_number).in_(chunk))
        ).all():
            by_his[(p.practice_id, p.his_number or "")] = p
    return by_id, by_his


def _slow_row(
    raw: Mapping[str, object],
    patient: Patient | None,
    by_id: Mapping[int, Patient],
    by_his: Mapping[tuple[int, str], Patient],
    now: datetime,
) -> _Row:
    """The row's owner and ``_check_row``: every check with its message (``_Bad``)."""
    if patient is not None:
        owner = patient
        pid = _text(raw, "patient_id")
        if pid and pid != str(patient.id):
            raise _Bad(N_("Dit apparaat mag alleen metingen van zijn eigen patiënt sturen."))
    else:
        pid = _text(raw, "patient_id")
        key = (_text(raw, "practice"), _text(raw, "his_number"))
        number = parse_id(pid)
        practice = parse_id(key[0])
        found = by_id.get(number) if number is not None else None
        if found is None and practice is not None and key[1]:
            found = by_his.get((practice, key[1]))
        if found is None:
            raise _Bad(N_("Onbekende patiënt (patient_id, of practice met his_number)."))
        owner = found
    return _check_row(raw, owner.id, now, owner.date_of_birth)  # type: ignore[arg-type]


_COLUMNS = (
    "patient_id",
    "type_code",
    "value",
    "value_code",
    "unit",
    "measured_at",
    "source",
    "source_id",
    "reading_id",
    "entered_by_id",
    "note",
    "created_at",
)
_UNIQUE = ("patient_id", "source_id")


def _store(
    session: Session,
    rows: list[_Row],
    source: MeasurementSource,
    entered_by_id: int | None,
    now: datetime,
) -> list[_Row]:
    """Insert the rows (each (patient, source id) once in ``rows``); returns those stored.

    The unique key answers which are stored already (``INSERT ... ON CONFLICT DO NOTHING``,
    counted): all stored (a new file) or none (the same file again) needs no look-up. When
    only some were stored, the insert is undone (a savepoint) and done again after looking up
    the stored keys, so the rows this import stored are known exactly."""

    def insert() -> int:
        return insert_rows(
            session,
            Measurement.__table__,
            _COLUMNS,
            [
                (
                    r.patient_id,
                    r.type_code,
                    r.value,
                    r.value_code,
                    r.unit,
                    r.measured_at,
                    source,
                    r.source_id,
                    r.reading_id,
                    entered_by_id,
                    "",
                    now,
                )
                for r in rows
            ],
            unique=_UNIQUE,
        )

    if not rows:
        return rows
    with session.begin_nested() as savepoint:
        stored = insert()
        if stored == len(rows):
            return rows
        if stored == 0:
            return []
        savepoint.rollback()
    found = set(
        find_stored(
            session,
            Measurement.__table__,
            _UNIQUE,
            {(r.patient_id, r.source_id) for r in rows if r.source_id is not None},
        )
    )
    rows = [r for r in rows if r.source_id is None or (r.patient_id, r.source_id) not in found]
    insert()  # a row a concurrent import stored meanwhile is skipped
    return rows


@gc_paused()
def import_readings(
    session: Session,
    rows: Iterable[tuple[int, Mapping[str, object]]],
    *,
    subject: AuditSubject,
    source: MeasurementSource = MeasurementSource.device,
    partial: bool = False,
    now: datetime,
    patient: Patient | None = None,
    entered_by_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check and store ``(line, row)`` pairs. ``patient`` fixes the patient (device token);
    otherwise each row names it by ``patient_id`` or ``practice`` + ``his_number``."""
    batch = list(rows)
    result = ImportResult()
    if len(batch) > MAX_ROWS:
        result.errors.append(
            RowError(0, N_("Te veel regels: hoogstens %(max)s per keer."), {"max": MAX_ROWS})
        )
        result.refused = True
        return result
    by_id, by_his = _patient_map(session, batch) if patient is None else ({}, {})
    by_text = {str(pid): p for pid, p in by_id.items()}  # the id as it is usually written
    fast = _FastCheck(now)
    accepted: list[tuple[int, _Row]] = []
    for done, (line, raw) in enumerate(batch, start=1):
        pid_text = raw.get("patient_id")
        if patient is not None:
            same = pid_text is None or pid_text == "" or pid_text == str(patient.id)
            owner = patient if same else None
        else:
            owner = by_text.get(pid_text) if type(pid_text) is str else None
        row = None
        if owner is not None:
            row = fast.row(raw, owner.id, owner.date_of_birth)  # type: ignore[arg-type]
        try:
            if row is None:
                row = _slow_row(raw, patient, by_id, by_his, now)
            row.line = line
            accepted.append((line, row))
        except _Bad as bad:
            result.errors.append(RowError(line, bad.message, bad.params))
        if progress is not None and done % CHUNK == 0:
            progress(CHUNK)
    if progress is not None and len(batch) % CHUNK:
        progress(len(batch) % CHUNK)
    _pair_blood_pressures(accepted, result)
    if result.errors and not partial:
        result.refused = True
        return result

    # Idempotency: a row whose (patient, source id) came before in the batch is dropped here;
    # one stored already is skipped by the unique key.
    seen: set[tuple[int, str]] = set()
    new_rows: list[_Row] = []
    for _line, row in accepted:
        if row.source_id is not None:
            key = (row.patient_id, row.source_id)
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
        new_rows.append(row)
    stored = _store(session, new_rows, source, entered_by_id, now)
    result.duplicates += len(new_rows) - len(stored)
    new_rows = stored
    result.stored = len(new_rows)
    result.patient_ids = {r.patient_id for r in new_rows}
    counts = Counter(r.patient_id for r in new_rows)
    for pid in sorted(result.patient_ids):
        count = counts[pid]
        record(
            session,
            subject,
            action=AuditAction.create,
            object_type="Measurement",
            patient_id=pid,
            detail=f"import: {count} readings",
        )
    session.flush()
    from zelfzorg.leefstijl import eligibility

    eligibility.measurements_changed(session, {(r.patient_id, r.type_code) for r in new_rows}, now)
    evaluate_rows(session, new_rows, now=now)  # type: ignore[arg-type]
    return result
