"""Import a FHIR transaction Bundle into one practice: Patient, Condition, EpisodeOfCare,
Observation. Conditional create/update by identifier (the HIS number for patients), all or
nothing: every entry is checked first and one invalid entry stores nothing; the refusal names
each invalid entry by index and path. Re-posting the same bundle changes nothing. No Flask."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from zelfzorg.audit.models import AuditAction
from zelfzorg.audit.services import AuditSubject, record
from zelfzorg.errors import N_, DomainError
from zelfzorg.fhir.resources import BP_PANEL, HIS_SYSTEM, ICPC, PROGRAMME_SYSTEM
from zelfzorg.inputs import parse_id
from zelfzorg.patients.models import (
    PROGRAMME_CONDITION,
    Condition,
    Enrolment,
    Patient,
    Programme,
    Sex,
)
from zelfzorg.patients.practice_history import open_first_period
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource
from zelfzorg.telemonitoring.plausibility import check_value
from zelfzorg.telemonitoring.types import type_for_loinc

SUPPORTED = ("Patient", "Condition", "EpisodeOfCare", "Observation")
CONDITION_NAMES = dict(PROGRAMME_CONDITION.values())
MAX_ENTRIES = 20000


@dataclass(frozen=True)
class Issue:
    index: int | None
    path: str
    message: str  # Dutch msgid
    params: dict = field(default_factory=dict)

    @property
    def expression(self) -> str:
        if self.index is None:
            return f"Bundle.{self.path}" if self.path else "Bundle"
        return f"Bundle.entry[{self.index}].{self.path}"


class BundleRefused(DomainError):
    """One or more entries are invalid: nothing was stored (HTTP 422 with every issue)."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(N_("De bundel is geweigerd; er is niets opgeslagen."))
        self.issues = issues


@dataclass
class Outcome:
    index: int
    resource_type: str
    status: str  # "201 Created" or "200 OK"
    rid: int | None = None


@dataclass
class ImportResult:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def created(self) -> int:
        return self.count("201 Created")

    @property
    def unchanged(self) -> int:
        return self.count("200 OK")


# --- checking ---------------------------------------------------------------------------------


@dataclass
class _Checked:
    index: int
    kind: str
    values: dict
    patient_ref: str | None = None  # fullUrl or "Patient/{id}"


def _his(resource: dict) -> str | None:
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("system") == HIS_SYSTEM:
            value = str(identifier.get("value") or "").strip()
            return value or None
    return None


def _date(raw: object) -> date | None:
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def _moment(raw: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _coding(concept: object, system: str) -> str | None:
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and coding.get("system") == system and coding.get("code"):
            return str(coding["code"])
    return None


class _Checker:
    def __init__(self, session: Session, practice_id: int, now: datetime) -> None:
        self.session = session
        self.practice_id = practice_id
        self.now = now
        self.issues: list[Issue] = []
        self.patient_urls: dict[str, int] = {}  # fullUrl -> index of the Patient entry

    def bad(self, index: int | None, path: str, message: str, **params) -> None:
        self.issues.append(Issue(index, path, message, params))

    def reference(self, index: int, resource: dict, key: str) -> str | None:
        raw = (
            (resource.get(key) or {}).get("reference")
            if isinstance(resource.get(key), dict)
            else None
        )
        path = f"resource.{key}.reference"
        if not raw:
            self.bad(index, path, N_("Verwijzing naar de patiënt ontbreekt."))
            return None
        if raw in self.patient_urls:
            return raw
        if raw.startswith("Patient/") and parse_id(raw[8:]) is not None:
            patient = self.session.get(Patient, parse_id(raw[8:]))
            if patient is None:
                self.bad(index, path, N_("Patiënt %(ref)s bestaat niet."), ref=raw[:60])
                return None
            if patient.practice_id != self.practice_id:
                self.bad(
                    index, path, N_("Patiënt %(ref)s hoort bij een andere praktijk."), ref=raw[:60]
                )
                return None
            return raw
        self.bad(index, path, N_("Verwijzing %(ref)s staat niet in de bundel."), ref=raw[:60])
        return None

    def patient(self, index: int, resource: dict) -> dict | None:
        his = _his(resource)
        if his is None or len(his) > 40:
            self.bad(
                index,
                "resource.identifier",
                N_("Een patiënt heeft een HIS-nummer nodig (system %(system)s)."),
                system=HIS_SYSTEM,
            )
        names = resource.get("name") or [{}]
        name = names[0] if isinstance(names, list) and names and isinstance(names[0], dict) else {}
        family = str(name.get("family") or "").strip()
        given = " ".join(str(g) for g in name.get("given") or []).strip()
        if not family or not given or len(family) > 100 or len(given) > 100:
            self.bad(
                index,
                "resource.name[0]",
                N_("Achternaam en voornaam zijn nodig (hoogstens 100 tekens)."),
            )
        born = _date(resource.get("birthDate"))
        if born is None or born > self.now.date() or born.year < 1900:
            self.bad(index, "resource.birthDate", N_("Geen geldige geboortedatum."))
        gender = resource.get("gender") or "unknown"
        if gender not in {s.value for s in Sex}:
            self.bad(
                index, "resource.gender", N_("Onbekend geslacht: %(value)s"), value=str(gender)[:20]
            )
        return {"his": his, "family": family, "given": given, "born": born, "sex": gender}

    def condition(self, index: int, resource: dict) -> dict:
        code = _coding(resource.get("code"), ICPC)
        if code not in CONDITION_NAMES:
            self.bad(
                index,
                "resource.code",
                N_("Onbekende code: %(code)s (ICPC van een zorgprogramma)."),
                code=str(code)[:20],
            )
        onset = resource.get("onsetDateTime")
        if onset and _date(onset) is None:
            self.bad(index, "resource.onsetDateTime", N_("Geen geldige datum."))
        return {"code": code, "onset": _date(onset)}

    def episode(self, index: int, resource: dict) -> dict:
        types = resource.get("type") or [{}]
        code = _coding(types[0] if isinstance(types, list) and types else {}, PROGRAMME_SYSTEM)
        if code not in {p.value for p in Programme}:
            self.bad(
                index,
                "resource.type[0]",
                N_("Onbekend zorgprogramma: %(code)s"),
                code=str(code)[:20],
            )
        period = resource.get("period") or {}
        start, end = _date(period.get("start")), _date(period.get("end"))
        if start is None:
            self.bad(index, "resource.period.start", N_("Geen geldige begindatum."))
        if period.get("end") and (end is None or (start and end < start)):
            self.bad(index, "resource.period.end", N_("De einddatum ligt voor de begindatum."))
        return {"programme": code, "start": start, "end": end}

    def observation(self, index: int, resource: dict) -> dict:
        loinc = _coding(resource.get("code"), "http://loinc.org")
        effective = _moment(resource.get("effectiveDateTime"))
        if effective is None:
            self.bad(index, "resource.effectiveDateTime", N_("Tijdstip met tijdzone nodig."))
        identifier = next(
            (
                str(i.get("value"))
                for i in resource.get("identifier") or []
                if isinstance(i, dict) and i.get("value")
            ),
            None,
        )
        values: list[tuple[str, float, str]] = []
        if loinc == BP_PANEL:
            parts = {
                _coding(c.get("code"), "http://loinc.org"): (n, c)
                for n, c in enumerate(resource.get("component") or [])
                if isinstance(c, dict)
            }
            for code in ("8480-6", "8462-4"):
                if code not in parts:
                    self.bad(
                        index,
                        "resource.component",
                        N_("Bloeddruk heeft bovendruk en onderdruk nodig (8480-6, 8462-4)."),
                    )
                    return {}
                n, component = parts[code]
                values.append(
                    self._quantity(
                        index,
                        f"resource.component[{n}].valueQuantity",
                        code,
                        component.get("valueQuantity"),
                    )
                )
        else:
            mtype = type_for_loinc(loinc or "")
            if mtype is None or not mtype.is_quantity:
                self.bad(
                    index,
                    "resource.code",
                    N_("Onbekende code: %(code)s (LOINC)."),
                    code=str(loinc)[:20],
                )
                return {}
            values.append(
                self._quantity(
                    index, "resource.valueQuantity", loinc or "", resource.get("valueQuantity")
                )
            )
        return {
            "effective": effective,
            "values": [v for v in values if v],
            "identifier": identifier,
            "loinc": loinc,
        }

    def _quantity(self, index: int, path: str, loinc: str, quantity: object):
        mtype = type_for_loinc(loinc)
        assert mtype is not None
        if not isinstance(quantity, dict):
            self.bad(index, path, N_("Een waarde met eenheid is nodig."))
            return None
        unit = quantity.get("code") or quantity.get("unit")
        if (
            unit != mtype.unit
            or quantity.get("system", "http://unitsofmeasure.org") != "http://unitsofmeasure.org"
        ):
            self.bad(
                index,
                f"{path}.code",
                N_("Verkeerde eenheid %(unit)s: verwacht %(expected)s (UCUM)."),
                unit=str(unit)[:20],
                expected=mtype.unit,
            )
            return None
        value = quantity.get("value")
        problems = [
            p
            for p in check_value(
                mtype, value if isinstance(value, int | float) else "x", field="value"
            )
            if p.is_error
        ]
        if problems:
            self.bad(index, f"{path}.value", problems[0].message, **dict(problems[0].params))
            return None
        return (mtype.code, float(value), mtype.unit)


def check_bundle(
    session: Session, bundle: object, *, practice_id: int, now: datetime
) -> list[_Checked]:
    checker = _Checker(session, practice_id, now)
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BundleRefused([Issue(None, "", N_("Stuur een Bundle."))])
    if bundle.get("type") != "transaction":
        raise BundleRefused(
            [Issue(None, "type", N_("Alleen een transaction-bundel kan worden ingelezen."))]
        )
    entries = bundle.get("entry") or []
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise BundleRefused(
            [
                Issue(
                    None,
                    "entry",
                    N_("Een bundel heeft 1 tot %(max)s entries."),
                    {"max": MAX_ENTRIES},
                )
            ]
        )
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "Patient"
            and entry.get("fullUrl")
        ):
            checker.patient_urls[str(entry["fullUrl"])] = index
    his_seen: dict[str, int] = {}
    checked: list[_Checked] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in SUPPORTED:
            checker.bad(
                index,
                "resource.resourceType",
                N_("Dit resourcetype kan niet worden ingelezen: %(type)s"),
                type=str(kind)[:40],
            )
            continue
        if kind == "Patient":
            values = checker.patient(index, resource)
            his = values["his"]
            if his and his in his_seen:
                checker.bad(
                    index,
                    "resource.identifier",
                    N_("Dit HIS-nummer staat al in entry %(other)s."),
                    other=his_seen[his],
                )
            his_seen[his or ""] = index
            checked.append(
                _Checked(index, kind, values, patient_ref=str(entry.get("fullUrl") or ""))
            )
            continue
        ref_key = "patient" if kind == "EpisodeOfCare" else "subject"
        patient_ref = checker.reference(index, resource, ref_key)
        values = {
            "Condition": checker.condition,
            "EpisodeOfCare": checker.episode,
            "Observation": checker.observation,
        }[kind](index, resource)
        checked.append(_Checked(index, kind, values, patient_ref))
    if checker.issues:
        raise BundleRefused(checker.issues)
    return checked


# --- storing ----------------------------------------------------------------------------------


def import_bundle(
    session: Session,
    bundle: object,
    *,
    practice_id: int,
    subject: AuditSubject,
    created_by_id: int | None,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Check the whole bundle, then store it; BundleRefused (nothing stored) otherwise."""
    checked = check_bundle(session, bundle, practice_id=practice_id, now=now)
    result = ImportResult()
    patients: dict[str, Patient] = {}
    for n, item in enumerate(checked, start=1):
        if item.kind == "Patient":
            outcome, patient = _store_patient(session, item, practice_id, created_by_id, subject)
            if item.patient_ref:
                patients[item.patient_ref] = patient
            result.outcomes.append(outcome)
        else:
            patient = patients.get(item.patient_ref or "") or session.get(
                Patient, int(str(item.patient_ref)[8:])
            )
            store = {
                "Condition": _store_condition,
                "EpisodeOfCare": _store_episode,
                "Observation": _store_observation,
            }[item.kind]
            result.outcomes.append(store(session, item, patient, created_by_id, subject))
        if progress and (n % 500 == 0 or n == len(checked)):
            progress(n, len(checked))
    session.flush()
    return result


def _created(session, subject, kind: str, row, patient_id: int) -> None:
    session.add(row)
    session.flush()
    record(
        session,
        subject,
        action=AuditAction.create,
        object_type=kind,
        object_id=row.id,
        patient_id=patient_id,
        detail="FHIR import",
    )


def _store_patient(session, item, practice_id, created_by_id, subject):
    v = item.values
    existing = session.exec(
        select(Patient).where(Patient.practice_id == practice_id, Patient.his_number == v["his"])
    ).first()
    if existing is not None:
        changed = (
            existing.family_name,
            existing.given_name,
            existing.date_of_birth,
            str(existing.sex),
        ) != (v["family"], v["given"], v["born"], v["sex"])
        if changed:
            existing.family_name, existing.given_name = v["family"], v["given"]
            existing.date_of_birth, existing.sex = v["born"], Sex(v["sex"])
            existing.version += 1  # an open details form must not silently undo the import
            session.add(existing)
            record(
                session,
                subject,
                action=AuditAction.update,
                object_type="Patient",
                object_id=existing.id,
                patient_id=existing.id,
                detail="FHIR import",
            )
        return Outcome(item.index, "Patient", "200 OK", existing.id), existing
    patient = Patient(
        practice_id=practice_id,
        given_name=v["given"],
        family_name=v["family"],
        date_of_birth=v["born"],
        sex=Sex(v["sex"]),
        his_number=v["his"],
        created_by_id=created_by_id,
    )
    session.add(patient)
    session.flush()
    record(
        session,
        subject,
        action=AuditAction.create,
        object_type="Patient",
        object_id=patient.id,
        patient_id=patient.id,
        detail="FHIR import",
    )
    open_first_period(session, patient, created_by_id=created_by_id)
    return Outcome(item.index, "Patient", "201 Created", patient.id), patient


def _store_condition(session, item, patient, created_by_id, subject):
    code = item.values["code"]
    existing = session.exec(
        select(Condition).where(Condition.patient_id == patient.id, Condition.code == code)
    ).first()
    if existing is not None:
        return Outcome(item.index, "Condition", "200 OK", existing.id)
    row = Condition(
        patient_id=patient.id,
        code=code,
        name=CONDITION_NAMES[code],
        onset_date=item.values["onset"],
    )
    _created(session, subject, "Condition", row, patient.id)
    return Outcome(item.index, "Condition", "201 Created", row.id)


def _store_episode(session, item, patient, created_by_id, subject):
    v = item.values
    existing = session.exec(
        select(Enrolment).where(
            Enrolment.patient_id == patient.id,
            Enrolment.programme == v["programme"],
            Enrolment.start_date == v["start"],
        )
    ).first()
    if existing is not None:
        if existing.end_date != v["end"]:
            existing.end_date = v["end"]
            session.add(existing)
            record(
                session,
                subject,
                action=AuditAction.update,
                object_type="Enrolment",
                object_id=existing.id,
                patient_id=patient.id,
                detail="FHIR import",
            )
        return Outcome(item.index, "EpisodeOfCare", "200 OK", existing.id)
    row = Enrolment(
        patient_id=patient.id,
        programme=Programme(v["programme"]),
        start_date=v["start"],
        end_date=v["end"],
        created_by_id=created_by_id,
    )
    _created(session, subject, "Enrolment", row, patient.id)
    return Outcome(item.index, "EpisodeOfCare", "201 Created", row.id)


def _store_observation(session, item, patient, created_by_id, subject):
    v = item.values
    key = v["identifier"] or "|".join(
        [
            str(patient.his_number or patient.id),
            str(v["loinc"]),
            v["effective"].isoformat(),
            *(f"{c}={x}" for c, x, _u in v["values"]),
        ]
    )
    base = "fhir:" + hashlib.sha256(key.encode()).hexdigest()[:40]
    first_id = f"{base}:{v['values'][0][0]}"
    existing = session.exec(
        select(Measurement).where(
            Measurement.patient_id == patient.id, Measurement.source_id == first_id
        )
    ).first()
    if existing is not None:
        return Outcome(item.index, "Observation", "200 OK", existing.id)
    reading = uuid.uuid4().hex if len(v["values"]) > 1 else None
    first = None
    for code, value, unit in v["values"]:
        row = Measurement(
            patient_id=patient.id,
            type_code=code,
            value=value,
            unit=unit,
            measured_at=v["effective"],
            source=MeasurementSource.professional,
            source_id=f"{base}:{code}",
            reading_id=reading,
            entered_by_id=created_by_id,
        )
        _created(session, subject, "Measurement", row, patient.id)
        first = first or row
    return Outcome(item.index, "Observation", "201 Created", first.id if first else None)
