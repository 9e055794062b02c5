"""Import a FHIR transaction Bundle into one practice: Patient, Condition, EpisodeOfCare,
Observation, Goal, QuestionnaireResponse. Conditional create/update by identifier (the HIS
number for patients; a Goal's or QuestionnaireResponse's identifier, else its content, kept in
``fhir_import_key``), all or nothing: every entry is checked first and one invalid entry
stores nothing; the refusal names each invalid entry by index and path. Re-posting the same
bundle changes nothing.

A Goal becomes a goal in the patient's one IZP (the plan is made when there is none, as the
UI does; validated by the UI's goal rules); a QuestionnaireResponse becomes a completed
assessment of a known instrument version (``Questionnaire/{id}`` or the canonical
``urn:zelfzorg:instrument:{code}|{version}``), its answers checked against the instrument and
scored by the app's own scoring. Both need the importing professional (``actor``). No Flask."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import insert, tuple_
from sqlmodel import Session, col, select

from zelfzorg.accounts.scope import Actor
from zelfzorg.audit.models import AuditAction
from zelfzorg.audit.services import AuditSubject, record
from zelfzorg.db import gc_paused, insert_new, stored_keys
from zelfzorg.errors import N_, DomainError, ValidationError
from zelfzorg.fhir.models import FhirImportKey
from zelfzorg.fhir.resources import (
    BP_PANEL,
    GOAL_DOMAIN_SYSTEM,
    HIS_SYSTEM,
    ICPC,
    INSTRUMENT_CANONICAL,
    PROGRAMME_SYSTEM,
)
from zelfzorg.inputs import parse_id
from zelfzorg.izp.goals import GOAL_FIELDS
from zelfzorg.patients.models import (
    PROGRAMME_CONDITION,
    Condition,
    Enrolment,
    Patient,
    Programme,
    Sex,
)
from zelfzorg.patients.practice_history import open_first_periods
from zelfzorg.telemonitoring.alerts import Reading, evaluate_rows
from zelfzorg.telemonitoring.models import Measurement, MeasurementSource
from zelfzorg.telemonitoring.plausibility import check_value
from zelfzorg.telemonitoring.types import type_for_loinc

SUPPORTED = (
    "Patient",
    "Condition",
    "EpisodeOfCare",
    "Observation",
    "Goal",
    "QuestionnaireResponse",
)
NEEDS_ACTOR = ("Goal", "QuestionnaireResponse")
COMPUTED_ITEMS = ("score", "level")  # read-only items of our own responses: scored here
# The UI's goal fields -> where they are in a FHIR Goal.
GOAL_PATHS = {
    "title": "resource.description.text",
    "domain": "resource.category[0]",
    "programmes": "resource.addresses",
    "target_type": "resource.target[0].measure",
    "target_comparator": "resource.target[0].detailQuantity.comparator",
    "target_value": "resource.target[0].detailQuantity.value",
    "target_unit": "resource.target[0].detailQuantity.code",
    "due_date": "resource.target[0].dueDate",
    "review_date": "resource.target[0].dueDate",
}
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
    def __init__(
        self, session: Session, practice_id: int, now: datetime, actor: Actor | None = None
    ) -> None:
        self.session = session
        self.practice_id = practice_id
        self.now = now
        self.actor = actor
        self.issues: list[Issue] = []
        self.patient_urls: dict[str, int] = {}  # fullUrl -> index of the Patient entry
        self.known: dict[int, Patient | None] = {}
        # "Patient/{id}" references found valid (a bundle names each patient many times).
        self.good_references: set[str] = set()

    def patient_by_id(self, patient_id: int) -> Patient | None:
        """The referenced patient, loaded once per bundle (the session's identity map holds
        only weak references, so thousands of entries would load it again and again)."""
        if patient_id not in self.known:
            self.known[patient_id] = self.session.get(Patient, patient_id)
        return self.known[patient_id]

    def preload(self, references: set[str]) -> None:
        """Load every patient the entries name as ``Patient/{id}`` at once (chunked IN)."""
        ids = sorted(
            {pid for r in references if r.startswith("Patient/") and (pid := parse_id(r[8:]))}
            - set(self.known)
        )
        for chunk in _chunks(ids):
            for patient in self.session.exec(select(Patient).where(col(Patient.id).in_(chunk))):
                self.known[patient.id] = patient  # type: ignore[index]
        self.known.update(dict.fromkeys((i for i in ids if i not in self.known), None))

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
        if raw in self.patient_urls or raw in self.good_references:
            return raw
        if raw.startswith("Patient/") and (patient_id := parse_id(raw[8:])) is not None:
            patient = self.patient_by_id(patient_id)
            if patient is None:
                self.bad(index, path, N_("Patiënt %(ref)s bestaat niet."), ref=raw[:60])
                return None
            if patient.practice_id != self.practice_id:
                self.bad(
                    index, path, N_("Patiënt %(ref)s hoort bij een andere praktijk."), ref=raw[:60]
                )
                return None
            self.good_references.add(raw)
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


def _identifier_key(resource: dict) -> str | None:
    raw = resource.get("identifier")
    identifiers = raw if isinstance(raw, list) else [raw]  # QuestionnaireResponse: just one
    for identifier in identifiers:
        if isinstance(identifier, dict) and identifier.get("value"):
            return f"{identifier.get('system') or ''}|{identifier['value']}"
    return None


def _goal_check(checker: _Checker, index: int, resource: dict) -> dict:
    """The FHIR Goal as the UI's goal input, checked by the UI's own rules."""
    from zelfzorg.izp import pdca
    from zelfzorg.izp.goals import GoalInput, clean_goal

    lifecycle = resource.get("lifecycleStatus") or "proposed"
    if lifecycle not in {v.value for v in pdca.GoalLifecycle}:
        checker.bad(
            index,
            "resource.lifecycleStatus",
            N_("Onbekende status: %(value)s"),
            value=str(lifecycle)[:20],
        )
    categories = resource.get("category") or []
    domain = (
        _coding(categories[0], GOAL_DOMAIN_SYSTEM)
        if isinstance(categories, list) and categories
        else None
    ) or pdca.GoalDomain.HEALTH.value
    data: dict = {"title": (resource.get("description") or {}).get("text"), "domain": domain}
    targets = resource.get("target") or []
    if not isinstance(targets, list) or len(targets) > 1:
        checker.bad(index, "resource.target", N_("Een doel heeft hoogstens één streefwaarde."))
        targets = []
    if targets and isinstance(targets[0], dict):
        target = targets[0]
        if target.get("dueDate"):
            data["due_date"] = _date(target["dueDate"])
            if data["due_date"] is None:
                checker.bad(index, "resource.target[0].dueDate", N_("Geen geldige datum."))
        measure = _coding(target.get("measure"), "http://loinc.org")
        quantity = target.get("detailQuantity")
        if measure or quantity:
            mtype = type_for_loinc(measure or "")
            if mtype is None:
                checker.bad(
                    index,
                    "resource.target[0].measure",
                    N_("Onbekende code: %(code)s (LOINC)."),
                    code=str(measure)[:20],
                )
                return {}
            quantity = quantity if isinstance(quantity, dict) else {}
            data["target_type"] = mtype.code
            data["target_comparator"] = quantity.get("comparator") or ""
            data["target_value"] = quantity.get("value")
            data["target_unit"] = quantity.get("code") or quantity.get("unit") or ""
    codes = set()
    for address in resource.get("addresses") or []:
        ref = address.get("reference") if isinstance(address, dict) else None
        condition_id = parse_id(str(ref)[10:]) if str(ref).startswith("Condition/") else None
        condition = checker.session.get(Condition, condition_id) if condition_id else None
        owner = checker.session.get(Patient, condition.patient_id) if condition else None
        if owner is not None and owner.practice_id == checker.practice_id:
            codes.add(condition.code)  # type: ignore[union-attr]
    data["programmes"] = [p for p, (code, _name) in PROGRAMME_CONDITION.items() if code in codes]
    try:
        values = clean_goal(GoalInput(**data), today=checker.now.date(), check_dates=False)
    except ValidationError as error:
        problems = getattr(error, "errors", None) or {error.field or "title": error}
        for name, problem in problems.items():
            checker.bad(index, GOAL_PATHS.get(name, "resource"), problem.message, **problem.params)
        return {}
    expressed = (resource.get("expressedBy") or {}).get("reference") or ""
    values["lifecycle"] = lifecycle
    values["proposed_by"] = "patient" if expressed.startswith("Patient") else "professional"
    values["key"] = _identifier_key(resource) or "title|" + values["title"].casefold()
    return values


def _instrument(checker: _Checker, index: int, raw: object):
    from zelfzorg.assessment.models import InstrumentVersion

    path = "resource.questionnaire"
    text = str(raw or "")
    version = None
    if text.startswith("Questionnaire/") and parse_id(text[14:]) is not None:
        version = checker.session.get(InstrumentVersion, parse_id(text[14:]))
    elif text.startswith(INSTRUMENT_CANONICAL) and "|" in text:
        code, _, number = text[len(INSTRUMENT_CANONICAL) :].partition("|")
        version = checker.session.exec(
            select(InstrumentVersion).where(
                InstrumentVersion.code == code, InstrumentVersion.version == number
            )
        ).first()
    if version is None:
        checker.bad(
            index,
            path,
            N_("Onbekende vragenlijst: %(ref)s (Questionnaire/id of %(canonical)scode|versie)."),
            ref=text[:60],
            canonical=INSTRUMENT_CANONICAL,
        )
    return version


def _response_check(checker: _Checker, index: int, resource: dict) -> dict:
    """A completed response of a known instrument: every answer one of its options."""
    from zelfzorg.assessment.scoring import score
    from zelfzorg.assessment.services import may_fill_in
    from zelfzorg.assessment.versions import definition_of

    if resource.get("status") != "completed":
        checker.bad(
            index, "resource.status", N_("Alleen een ingevulde vragenlijst (completed) kan.")
        )
    authored = _moment(resource.get("authored"))
    if authored is None or authored > checker.now:
        checker.bad(index, "resource.authored", N_("Tijdstip met tijdzone nodig."))
    version = _instrument(checker, index, resource.get("questionnaire"))
    if version is None:
        return {}
    definition = definition_of(version)
    author = str((resource.get("author") or {}).get("reference") or "")
    by_patient = author.startswith("Patient/") or author in checker.patient_urls
    if (
        not by_patient
        and checker.actor is not None
        and not may_fill_in(checker.actor, version.kind)
    ):
        checker.bad(
            index, "resource.author", N_("Alleen de patiënt zelf vult deze vragenlijst in.")
        )
    options = {option.value for option in definition.answer_options}
    answers: dict[str, int] = {}
    for n, item in enumerate(resource.get("item") or []):
        link = str(item.get("linkId") or "") if isinstance(item, dict) else ""
        if link in COMPUTED_ITEMS:
            continue
        if definition.item(link) is None:
            checker.bad(
                index,
                f"resource.item[{n}].linkId",
                N_("Vraag %(item)s hoort niet bij deze vragenlijst."),
                item=link[:20],
            )
            continue
        given = (item.get("answer") or [{}])[0]
        given = given if isinstance(given, dict) else {}
        raw = given.get("valueInteger")
        if raw is None:
            raw = (given.get("valueCoding") or {}).get("code")
        value = parse_id(str(raw)) if raw is not None else None
        if value is None or value not in options:
            checker.bad(
                index,
                f"resource.item[{n}].answer[0]",
                N_("Kies bij deze vraag een van de antwoorden."),
            )
            continue
        if link in answers:
            checker.bad(
                index,
                f"resource.item[{n}].linkId",
                N_("Vraag %(item)s staat er twee keer in."),
                item=link[:20],
            )
        answers[link] = value
    if not answers and not any(i.index == index for i in checker.issues):
        checker.bad(index, "resource.item", N_("Er staan geen antwoorden in."))
    result = score(definition, answers) if answers else None
    key = _identifier_key(resource) or f"{version.id}|{authored.isoformat() if authored else ''}"
    return {
        "version": version,
        "answers": answers,
        "result": result,
        "authored": authored,
        "by_patient": by_patient,
        "key": key,
    }


def check_bundle(
    session: Session,
    bundle: object,
    *,
    practice_id: int,
    now: datetime,
    actor: Actor | None = None,
) -> list[_Checked]:
    checker = _Checker(session, practice_id, now, actor)
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
    references: set[str] = set()
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        for key in ("subject", "patient"):
            ref = resource.get(key) if isinstance(resource, dict) else None
            if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
                references.add(ref["reference"])
    checker.preload(references)
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
        if kind in NEEDS_ACTOR and actor is None:
            checker.bad(
                index,
                "resource.resourceType",
                N_(
                    "Een %(type)s leest een zorgverlener in: via de API (POST /fhir/) of met "
                    "--as <e-mail van de zorgverlener>."
                ),
                type=kind,
            )
            continue
        ref_key = "patient" if kind == "EpisodeOfCare" else "subject"
        patient_ref = checker.reference(index, resource, ref_key)
        values = {
            "Condition": checker.condition,
            "EpisodeOfCare": checker.episode,
            "Observation": checker.observation,
            "Goal": lambda i, r: _goal_check(checker, i, r),
            "QuestionnaireResponse": lambda i, r: _response_check(checker, i, r),
        }[kind](index, resource)
        checked.append(_Checked(index, kind, values, patient_ref))
    if checker.issues:
        raise BundleRefused(checker.issues)
    return checked


# --- storing ----------------------------------------------------------------------------------


@gc_paused()
def import_bundle(
    session: Session,
    bundle: object,
    *,
    practice_id: int,
    subject: AuditSubject,
    created_by_id: int | None,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    actor: Actor | None = None,
) -> ImportResult:
    """Check the whole bundle, then store it; BundleRefused (nothing stored) otherwise.
    Goals and QuestionnaireResponses need ``actor``, the importing professional.

    Set-based: per resource type one look-up of what is stored already (chunked ``IN`` on the
    natural key: HIS number, patient + code, patient + programme + start, patient + source
    id) and one multi-row insert of the new rows, so the statement count grows with the
    bundle's size divided by the chunk, not with its entries."""
    checked = check_bundle(session, bundle, practice_id=practice_id, now=now, actor=actor)
    outcomes: dict[int, Outcome] = {}
    done = 0

    def advance(items: list[_Checked]) -> None:
        nonlocal done
        done += len(items)
        if progress and items:
            progress(done, len(checked))

    by_kind: dict[str, list[_Checked]] = {}
    for item in checked:
        by_kind.setdefault(item.kind, []).append(item)
    patients = _store_patients(
        session, by_kind.get("Patient", []), practice_id, created_by_id, subject, outcomes, now
    )
    advance(by_kind.get("Patient", []))

    for item in checked:  # the patients referenced by id, loaded once (checked: they exist)
        ref = item.patient_ref or ""
        if ref.startswith("Patient/") and ref not in patients:
            patients[ref] = None  # type: ignore[assignment]
    wanted = {int(ref[8:]): ref for ref, p in patients.items() if p is None}
    for chunk in _chunks(sorted(wanted)):
        for patient in session.exec(select(Patient).where(col(Patient.id).in_(chunk))):
            patients[wanted[patient.id]] = patient  # type: ignore[index]

    def owner(item: _Checked) -> Patient:
        found = patients.get(item.patient_ref or "")
        if found is None:
            found = session.get(Patient, int(str(item.patient_ref)[8:]))
            patients[str(item.patient_ref)] = found  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    for kind, store in (
        ("Condition", _store_conditions),
        ("EpisodeOfCare", _store_episodes),
        ("Observation", _store_observations),
    ):
        items = by_kind.get(kind, [])
        if items:
            stored = store(session, [(i, owner(i)) for i in items], created_by_id, subject, now)
            outcomes.update((o.index, o) for o in stored)
        advance(items)
    for item in checked:
        if item.kind == "Goal":
            outcomes[item.index] = _store_goal(session, item, owner(item), actor, subject, now)
        elif item.kind == "QuestionnaireResponse":
            outcomes[item.index] = _store_response(session, item, owner(item), actor, subject, now)
        else:
            continue
        advance([item])
    session.flush()
    # Patients whose lifestyle eligibility facts may have changed: recomputed in this
    # transaction (the maintained eligibility table, leefstijl/eligibility.py).
    # An Observation only when it stored a reading a criterion reads (a re-import, or a blood
    # pressure, changes no criterion).
    from zelfzorg.leefstijl import eligibility

    touched = {outcomes[item.index].rid for item in by_kind.get("Patient", [])}
    for kind in ("EpisodeOfCare", "QuestionnaireResponse"):
        touched |= {owner(item).id for item in by_kind.get(kind, [])}
    touched |= eligibility.criteria_patients(
        (owner(item).id, code)
        for item in by_kind.get("Observation", [])
        if outcomes[item.index].status == "201 Created"
        for code, _value, _unit in item.values["values"]
    )
    eligibility.changed_now(session, {pid for pid in touched if pid is not None}, now)
    return ImportResult([outcomes[item.index] for item in checked])


CHUNK = 500  # keys per IN look-up (two or three parameters each: within every limit)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored_keys(session: Session, columns: tuple, keys: list[tuple], table_id) -> dict:
    """``{key: row id}`` of the rows whose ``columns`` equal one of ``keys``."""
    table = table_id.class_.__table__
    rows = stored_keys(session, table, [c.key for c in columns], keys, extra=table_id.key)
    return {tuple(row[:-1]): row[-1] for row in rows}


def _stored_since(session: Session, columns: tuple, keys, table_id, highest: int, stamp) -> dict:
    """``{key: row id}`` of the rows with one of ``keys``, an id above ``highest`` and
    ``stamp`` (``(column, value)``, the insert's created_at): the rows an insert just stored,
    when ``highest`` was the largest id before it (every id given out later is larger, on
    SQLite and by a PostgreSQL sequence); one range of the primary key instead of a look-up
    per key. The stamp leaves out a row a concurrent import of the same data committed
    meanwhile (PostgreSQL): the unique key skipped ours, so it is not "created" here."""
    wanted = set(keys)
    found: dict = {}
    if not wanted:
        return found
    column, value = stamp
    rows = session.execute(select(*columns, table_id).where(table_id > highest, column == value))
    for row in rows:
        key = tuple(row[:-1])
        if key in wanted:
            found[key] = row[-1]
    return found


def _insert(session: Session, model, rows: list[dict], unique: tuple[str, ...] = ()) -> None:
    """Insert ``rows`` as one executemany per chunk (no RETURNING: with it SQLAlchemy sends one
    statement per row on SQLite, to keep the ids in order); ids are looked up by natural key.
    With ``unique`` (the table's unique key) a row stored meanwhile by a concurrent import is
    skipped (ON CONFLICT DO NOTHING) instead of failing the bundle."""
    for chunk in _chunks(rows, 1000):
        if unique:
            insert_new(session, model.__table__, chunk, unique=unique)
        else:
            session.execute(insert(model.__table__), chunk)


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


def _store_patients(session, items, practice_id, created_by_id, subject, outcomes, now):
    """Conditional create/update by HIS number: one look-up, one insert of the new ones and
    one of their first practice periods."""
    patients: dict[str, Patient] = {}
    wanted = [item.values["his"] for item in items]
    existing: dict[str, Patient] = {}
    for chunk in _chunks(sorted(set(wanted))):
        for found in session.exec(
            select(Patient).where(
                Patient.practice_id == practice_id, col(Patient.his_number).in_(chunk)
            )
        ).all():
            existing[found.his_number or ""] = found
    created: list[tuple[_Checked, Patient]] = []
    for item in items:
        v = item.values
        patient = existing.get(v["his"])
        if patient is not None:
            changed = (
                patient.family_name,
                patient.given_name,
                patient.date_of_birth,
                str(patient.sex),
            ) != (v["family"], v["given"], v["born"], v["sex"])
            if changed:
                patient.family_name, patient.given_name = v["family"], v["given"]
                patient.date_of_birth, patient.sex = v["born"], Sex(v["sex"])
                patient.version += 1  # an open details form must not silently undo the import
                session.add(patient)
                record(
                    session,
                    subject,
                    action=AuditAction.update,
                    object_type="Patient",
                    object_id=patient.id,
                    patient_id=patient.id,
                    detail="FHIR import",
                )
            outcomes[item.index] = Outcome(item.index, "Patient", "200 OK", patient.id)
        else:
            patient = Patient(
                practice_id=practice_id,
                given_name=v["given"],
                family_name=v["family"],
                date_of_birth=v["born"],
                sex=Sex(v["sex"]),
                his_number=v["his"],
                created_by_id=created_by_id,
            )
            created.append((item, patient))  # not added: inserted in one executemany below
        if item.patient_ref:
            patients[item.patient_ref] = patient
    if created:
        _insert(
            session,
            Patient,
            unique=("practice_id", "his_number"),
            rows=[
                {
                    "practice_id": practice_id,
                    "given_name": p.given_name,
                    "family_name": p.family_name,
                    "date_of_birth": p.date_of_birth,
                    "sex": p.sex,
                    "his_number": p.his_number,
                    "created_at": now,
                    "created_by_id": created_by_id,
                    "is_demo": False,
                    "version": 1,
                }
                for _item, p in created
            ],
        )
        stored: dict[str, Patient] = {}
        for chunk in _chunks(sorted(p.his_number or "" for _i, p in created)):
            for found in session.exec(
                select(Patient).where(
                    Patient.practice_id == practice_id, col(Patient.his_number).in_(chunk)
                )
            ).all():
                stored[found.his_number or ""] = found
        for item, unsaved in created:
            patient = stored[unsaved.his_number or ""]
            if item.patient_ref:
                patients[item.patient_ref] = patient
            record(
                session,
                subject,
                action=AuditAction.create,
                object_type="Patient",
                object_id=patient.id,
                patient_id=patient.id,
                detail="FHIR import",
            )
            outcomes[item.index] = Outcome(item.index, "Patient", "201 Created", patient.id)
        open_first_periods(
            session, [stored[p.his_number or ""] for _i, p in created], created_by_id=created_by_id
        )
    return patients


def _store_conditions(session, pairs, created_by_id, subject, now):
    keys = [(patient.id, item.values["code"]) for item, patient in pairs]
    stored = _stored_keys(session, (Condition.patient_id, Condition.code), keys, col(Condition.id))
    outcomes: list[Outcome] = []
    new: list[dict] = []
    for item, patient in pairs:
        key = (patient.id, item.values["code"])
        if key in stored:  # stored already, or earlier in this bundle (id filled in below)
            outcomes.append(Outcome(item.index, "Condition", "200 OK", stored[key]))
            continue
        stored[key] = 0
        new.append(
            {
                "patient_id": patient.id,
                "code": key[1],
                "name": CONDITION_NAMES[key[1]],
                "onset_date": item.values["onset"],
                "recorded_at": now,
            }
        )
        outcomes.append(Outcome(item.index, "Condition", "201 Created", None))
    _insert(session, Condition, new, ("patient_id", "code"))
    columns = (Condition.patient_id, Condition.code)
    fresh = _stored_keys(
        session, columns, [(r["patient_id"], r["code"]) for r in new], col(Condition.id)
    )
    stored.update(fresh)
    for row in new:
        key = (row["patient_id"], row["code"])
        _audit_created(session, subject, "Condition", fresh[key], key[0])
    return [
        Outcome(o.index, o.resource_type, o.status, stored[(p.id, i.values["code"])])
        for o, (i, p) in zip(outcomes, pairs, strict=True)
    ]


def _store_episodes(session, pairs, created_by_id, subject, now):
    keys = [(p.id, i.values["programme"], i.values["start"]) for i, p in pairs]
    columns = (Enrolment.patient_id, Enrolment.programme, Enrolment.start_date)
    stored: dict[tuple, int] = {}
    ends: dict[int, date | None] = {}
    for chunk in _chunks(sorted(set(keys))):
        for row in session.exec(
            select(*columns, col(Enrolment.id), Enrolment.end_date).where(  # type: ignore[call-overload]
                tuple_(*columns).in_(chunk)
            )
        ).all():
            stored.setdefault(tuple(row[:3]), row[3])
            ends[row[3]] = row[4]
    created: list[tuple] = []
    new: list[dict] = []
    for (item, patient), key in zip(pairs, keys, strict=True):
        v = item.values
        if key in stored:  # stored already, or earlier in this bundle (0, id filled in below)
            rid = stored[key]
            if rid and ends[rid] != v["end"]:
                existing = session.get(Enrolment, rid)
                existing.end_date = ends[rid] = v["end"]  # type: ignore[union-attr]
                session.add(existing)
                record(
                    session,
                    subject,
                    action=AuditAction.update,
                    object_type="Enrolment",
                    object_id=rid,
                    patient_id=patient.id,
                    detail="FHIR import",
                )
            continue
        stored[key] = 0
        created.append(key)
        new.append(
            {
                "patient_id": patient.id,
                "programme": Programme(v["programme"]),
                "start_date": v["start"],
                "end_date": v["end"],
                "created_by_id": created_by_id,
                "created_at": now,
            }
        )
    _insert(session, Enrolment, new)
    fresh = _stored_keys(session, columns, created, col(Enrolment.id))
    stored.update(fresh)
    for key in created:
        _audit_created(session, subject, "Enrolment", fresh[key], key[0])
    new_keys = set(created)
    outcomes = []
    for (item, _patient), key in zip(pairs, keys, strict=True):
        status = "201 Created" if key in new_keys else "200 OK"
        new_keys.discard(key)  # a repeat of a new episode in this bundle: 200 OK
        outcomes.append(Outcome(item.index, "EpisodeOfCare", status, stored[key]))
    return outcomes


def _observation_base(item: _Checked, patient: Patient) -> str:
    v = item.values
    key = v["identifier"] or "|".join(
        [
            str(patient.his_number or patient.id),
            str(v["loinc"]),
            v["effective"].isoformat(),
            *(f"{c}={x}" for c, x, _u in v["values"]),
        ]
    )
    return "fhir:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _store_observations(session, pairs, created_by_id, subject, now):
    """One Observation is one measurement (a BP panel two, sharing a reading id); its source
    id is a hash of its identifier (or content), so a re-import stores nothing. Audited per
    patient (one entry naming the count, as the CSV import does).

    The rows are inserted first (the unique key skips what is stored already, ``ON CONFLICT
    DO NOTHING``); the rows just stored are read back by their ids, above the largest before
    the insert (one range of the primary key), and only what was not stored now is looked up
    by its natural key: a new bundle costs no look-up of thousands of keys, a repeated one
    the same look-up as before."""
    firsts = []
    for item, patient in pairs:
        base = _observation_base(item, patient)
        firsts.append((patient.id, f"{base}:{item.values['values'][0][0]}", base))
    first_at: dict[tuple[int, str], int] = {}  # key -> position of its first entry
    rows_of: dict[tuple[int, str], tuple[int, int]] = {}  # key -> its rows in ``new``
    new: list[dict] = []
    for position, ((item, _patient), (pid, first, base)) in enumerate(
        zip(pairs, firsts, strict=True)
    ):
        key = (pid, first)
        if key in first_at:
            continue  # again in this bundle: 200 OK, the first one's id
        first_at[key] = position
        v = item.values
        reading = uuid.uuid4().hex if len(v["values"]) > 1 else None
        begin = len(new)
        for code, value, unit in v["values"]:
            new.append(
                {
                    "patient_id": pid,
                    "type_code": code,
                    "value": value,
                    "unit": unit,
                    "measured_at": v["effective"],
                    "source": MeasurementSource.professional,
                    "source_id": f"{base}:{code}",
                    "reading_id": reading,
                    "entered_by_id": created_by_id,
                    "note": "",
                    "created_at": now,
                }
            )
        rows_of[key] = (begin, len(new))
    columns = (Measurement.patient_id, Measurement.source_id)
    highest = session.exec(select(sa.func.max(Measurement.id))).one() or 0
    _insert(session, Measurement, new, ("patient_id", "source_id"))
    created = _stored_since(
        session, columns, first_at, col(Measurement.id), highest, (col(Measurement.created_at), now)
    )
    stored = dict(created)
    stored.update(
        _stored_keys(
            session, columns, [k for k in first_at if k not in created], col(Measurement.id)
        )
    )
    # The same alert rules as every other path that stores readings (urgent values, trends).
    evaluate_rows(
        session,
        [
            Reading(r["patient_id"], r["type_code"], r["value"], r["measured_at"])
            for key in created
            for r in new[slice(*rows_of[key])]
        ],
        now=now,
    )
    outcomes: list[Outcome] = []
    per_patient: dict[int, int] = {}
    for position, ((item, _patient), (pid, first, _base)) in enumerate(
        zip(pairs, firsts, strict=True)
    ):
        key = (pid, first)
        if key in created and first_at[key] == position:
            per_patient[pid] = per_patient.get(pid, 0) + 1
            outcomes.append(Outcome(item.index, "Observation", "201 Created", created[key]))
        else:
            outcomes.append(Outcome(item.index, "Observation", "200 OK", stored[key]))
    for pid, count in sorted(per_patient.items()):
        record(
            session,
            subject,
            action=AuditAction.create,
            object_type="Measurement",
            patient_id=pid,
            detail=f"FHIR import: {count} Observation(s)",
        )
    return outcomes


def _audit_created(session, subject, kind: str, rid: int, patient_id: int) -> None:
    record(
        session,
        subject,
        action=AuditAction.create,
        object_type=kind,
        object_id=rid,
        patient_id=patient_id,
        detail="FHIR import",
    )


# --- goals and questionnaire responses ----------------------------------------------------------


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _known(session, resource_type: str, patient_id: int, key: str) -> int | None:
    return session.exec(
        select(FhirImportKey.record_id).where(
            FhirImportKey.resource_type == resource_type,
            FhirImportKey.patient_id == patient_id,
            FhirImportKey.key == _key_hash(key),
        )
    ).first()


def _remember(session, resource_type: str, patient_id: int, key: str, record_id: int) -> None:
    session.add(
        FhirImportKey(
            resource_type=resource_type,
            patient_id=patient_id,
            key=_key_hash(key),
            record_id=record_id,
        )
    )


#: What an imported goal sets: the goal's fields except those the practice plans or the
#: agreement and review record (review date, achievement, who agreed when).
NOT_IMPORTED = frozenset(
    {"review_date", "achievement", "agreed_by_patient_at", "agreed_by_professional_at"}
)
GOAL_IMPORTED = tuple(name for name in GOAL_FIELDS if name not in NOT_IMPORTED)


def _store_goal(session, item, patient, actor: Actor, subject, now: datetime) -> Outcome:
    """A goal in the patient's one plan (made when there is none, as the UI does); the same
    identifier again updates it through the UI's save (version, revision, goal history)."""
    from zelfzorg.contracting.history import record_goal_state
    from zelfzorg.izp.goals import save_goal
    from zelfzorg.izp.history import created_changes, snapshot, write_revision
    from zelfzorg.izp.models import Goal
    from zelfzorg.izp.plans import create_plan, plan_for_patient

    v = dict(item.values)
    key = v.pop("key")
    proposed_by = v.pop("proposed_by")
    v.pop("review_date", None)
    known = _known(session, "Goal", patient.id, key)
    goal = session.get(Goal, known) if known is not None else None
    if goal is not None:
        before = snapshot(goal, GOAL_FIELDS)
        for name in GOAL_IMPORTED:
            setattr(goal, name, v[name])
        if snapshot(goal, GOAL_FIELDS) != before:
            save_goal(session, actor, goal, before, goal.version, now)
            record(
                session,
                subject,
                action=AuditAction.update,
                object_type="Goal",
                object_id=goal.id,
                patient_id=patient.id,
                detail="FHIR import",
            )
        return Outcome(item.index, "Goal", "200 OK", goal.id)
    plan = plan_for_patient(session, patient.id) or create_plan(session, actor, patient, now)
    goal = Goal(
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,
        proposed_by=proposed_by,
        proposed_by_id=actor.user_id if proposed_by == "professional" else None,
        agreed_by_professional_at=now,
        agreed_by_professional_id=actor.user_id,
        created_at=now,
        updated_at=now,
        updated_by_id=actor.user_id,
        **{name: v[name] for name in GOAL_IMPORTED},
    )
    _created(session, subject, "Goal", goal, patient.id)
    write_revision(
        session,
        actor,
        plan_id=plan.id,  # type: ignore[arg-type]
        patient_id=patient.id,
        obj=goal,
        changes=created_changes(goal, GOAL_FIELDS),
        now=now,
    )
    session.flush()
    record_goal_state(session, goal, now)
    _remember(session, "Goal", patient.id, key, goal.id)  # type: ignore[arg-type]
    return Outcome(item.index, "Goal", "201 Created", goal.id)


def _store_response(session, item, patient, actor: Actor, subject, now: datetime) -> Outcome:
    """A completed assessment, scored by the app's own scoring with its own version."""
    from zelfzorg.assessment.models import AssessmentResponse, ResponseStatus

    v = item.values
    known = _known(session, "QuestionnaireResponse", patient.id, v["key"])
    if known is not None:
        return Outcome(item.index, "QuestionnaireResponse", "200 OK", known)
    version, result = v["version"], v["result"]
    response = AssessmentResponse(
        patient_id=patient.id,
        instrument_version_id=version.id,
        instrument_code=version.code,
        instrument_version=version.version,
        status=ResponseStatus.completed,
        answers=v["answers"],
        answered_count=result.answered_count if result else 0,
        scorable=bool(result and result.scorable),
        not_scorable_reason=result.reason_code if result else None,
        raw_score=float(result.raw) if result else None,
        score=result.score if result else None,
        level=result.level.number if result and result.level else None,
        filled_by_id=actor.user_id,
        filled_by_role="patient" if v["by_patient"] else str(actor.role),
        started_at=v["authored"],
        completed_at=v["authored"],
    )
    _created(session, subject, "AssessmentResponse", response, patient.id)
    _remember(session, "QuestionnaireResponse", patient.id, v["key"], response.id)  # type: ignore[arg-type]
    return Outcome(item.index, "QuestionnaireResponse", "201 Created", response.id)
