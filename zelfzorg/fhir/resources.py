"""Our records as FHIR R4 resources (plain dicts, validated against fhir.resources R4B in the
tests). Only what the data really says is emitted; profiles only where followed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, select

from zelfzorg.patients.models import PROGRAMME_CONDITION, Condition, Enrolment, Patient
from zelfzorg.telemonitoring.models import Measurement
from zelfzorg.telemonitoring.types import get_panel, get_type, load_types

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICPC = "http://hl7.org/fhir/sid/icpc-1-nl"
HIS_SYSTEM = "urn:zelfzorg:his-number"  # the practice's own HIS number (conditional on practice)
PROGRAMME_SYSTEM = "urn:zelfzorg:programme"
PRACTICE_SYSTEM = "urn:zelfzorg:practice"
INSTRUMENT_CANONICAL = "urn:zelfzorg:instrument:"  # Questionnaire.url; |version names one
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
NL_CORE = "http://nictiz.nl/fhir/StructureDefinition/"
PROFILES = {
    "bp": NL_CORE + "nl-core-BloodPressure",
    "weight": NL_CORE + "nl-core-BodyWeight",
    "height": NL_CORE + "nl-core-BodyHeight",
}
BP_PANEL = "85354-9"
VITAL_SIGNS = {"bp", "heart_rate", "weight", "height", "bmi", "waist", "spo2"}


def instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _meta(last_updated: datetime, profile: str | None = None) -> dict:
    meta: dict = {"lastUpdated": instant(last_updated)}
    if profile:
        meta["profile"] = [profile]
    return meta


def ref(resource_type: str, rid: object) -> dict:
    return {"reference": f"{resource_type}/{rid}"}


def patient(row: Patient) -> dict:
    resource: dict = {
        "resourceType": "Patient",
        "id": str(row.id),
        "meta": _meta(row.created_at),
        "active": True,
        "name": [{"family": row.family_name, "given": [row.given_name]}],
        "gender": str(row.sex),
        "birthDate": row.date_of_birth.isoformat(),
        "managingOrganization": {
            "identifier": {"system": PRACTICE_SYSTEM, "value": str(row.practice_id)}
        },
    }
    if row.his_number:
        resource["identifier"] = [{"system": HIS_SYSTEM, "value": row.his_number}]
    return resource


def condition(row: Condition) -> dict:
    resource: dict = {
        "resourceType": "Condition",
        "id": str(row.id),
        "meta": _meta(row.recorded_at),
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "code": {"coding": [{"system": ICPC, "code": row.code, "display": row.name}]},
        "subject": ref("Patient", row.patient_id),
        "recordedDate": instant(row.recorded_at),
    }
    if row.onset_date:
        resource["onsetDateTime"] = row.onset_date.isoformat()
    return resource


def enrolment_status(row: Enrolment, today: date) -> str:
    return "finished" if row.end_date is not None and row.end_date <= today else "active"


def episode_of_care(row: Enrolment, today: date) -> dict:
    code, name = PROGRAMME_CONDITION[row.programme]
    period = {"start": row.start_date.isoformat()}
    if row.end_date:
        period["end"] = row.end_date.isoformat()
    return {
        "resourceType": "EpisodeOfCare",
        "id": str(row.id),
        "meta": _meta(row.created_at),
        "status": enrolment_status(row, today),
        "type": [
            {
                "coding": [{"system": PROGRAMME_SYSTEM, "code": str(row.programme)}],
                "text": name,
            }
        ],
        "patient": ref("Patient", row.patient_id),
        "period": period,
    }


def observation_types() -> dict[str, str]:
    """LOINC code -> type code of every Observation we emit (the BP panel by its systolic
    row)."""
    codes = {BP_PANEL: "bp_systolic"}
    for mtype in load_types().values():
        if mtype.loinc and mtype.is_quantity and mtype.entered_with != "bp":
            codes[mtype.loinc] = mtype.code
    return codes


def emitted_type_codes() -> list[str]:
    return sorted(observation_types().values())


def _quantity(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _coding(loinc: str, display: str) -> dict:
    return {"coding": [{"system": LOINC, "code": loinc, "display": display}]}


@cache
def _type_code(type_code: str) -> tuple[str, str]:
    """(LOINC, English display) of a measurement type, or of the BP panel for the systolic
    row (the type catalogue is read once per process)."""
    if type_code == "bp_systolic_panel":
        return BP_PANEL, get_panel("bp").name.en
    mtype = get_type(type_code)
    return mtype.loinc or "", mtype.name.en


def observation(session: Session, row: Measurement) -> dict:
    """An Observation; its keys in the order of the FHIR specification (resourceType, id,
    meta, status, category, code, subject, effective, issued, value or component)."""
    type_code = row.type_code
    category = "vital-signs" if type_code in VITAL_SIGNS else "laboratory"
    issued = instant(row.created_at)
    if type_code == "bp_systolic":
        category = "vital-signs"
        diastolic = _diastolic_of(session, row)
        profile = PROFILES["bp"] if diastolic else None
        code = _coding(*_type_code("bp_systolic_panel"))
        components = [_component(row)]
        if diastolic is not None:
            components.append(_component(diastolic))
        value: tuple[str, object] = ("component", components)
    else:
        profile = PROFILES.get(type_code)
        code = _coding(*_type_code(type_code))
        value = ("valueQuantity", _quantity(float(row.value or 0), row.unit))
    meta: dict = {"lastUpdated": issued}
    if profile:
        meta["profile"] = [profile]
    return {
        "resourceType": "Observation",
        "id": str(row.id),
        "meta": meta,
        "status": "amended" if row.supersedes_id else "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": category}]}],
        "code": code,
        "subject": {"reference": f"Patient/{row.patient_id}"},
        "effectiveDateTime": instant(row.measured_at),
        "issued": issued,
        value[0]: value[1],
    }


def _component(row: Measurement) -> dict:
    return {
        "code": _coding(*_type_code(row.type_code)),
        "valueQuantity": _quantity(float(row.value or 0), row.unit),
    }


_DIASTOLICS = "fhir_diastolics"  # session.info: (patient, reading id) -> diastolic values


def prefetch_diastolics(session: Session, rows: list) -> None:
    """Load the diastolic rows of a batch's systolic rows in one statement per 500 readings,
    whatever the number of patients, so rendering the batch does not query once per blood
    pressure (replaces the previous batch's prefetch). Only the columns a component shows
    (type, value, unit) are read.

    The two halves of a reading are stored with the same time, so the statement first looks
    in the batch's time span (an index range: patient, type, time) and matches the pairs here;
    a reading whose diastolic is not found there is looked for again without the span (the
    first one, as the one-row query gives)."""
    systolics = [row for row in rows if row.type_code == "bp_systolic" and row.reading_id]
    found: dict[tuple[int, str], object] = dict.fromkeys(
        (row.patient_id, row.reading_id) for row in systolics
    )
    for start in range(0, len(systolics), 500):
        batch = systolics[start : start + 500]
        times = [row.measured_at for row in batch]
        _find_diastolics(session, found, batch, (min(times), max(times)))
        missing = [row for row in batch if found[(row.patient_id, row.reading_id)] is None]
        if missing:
            _find_diastolics(session, found, missing, None)
    session.info[_DIASTOLICS] = found


def _find_diastolics(session: Session, found: dict, systolics: list, span) -> None:
    table = Measurement.__table__
    query = sa.select(
        table.c.patient_id, table.c.reading_id, table.c.type_code, table.c.value, table.c.unit
    ).where(
        table.c.patient_id.in_(sorted({row.patient_id for row in systolics})),
        table.c.type_code == "bp_diastolic",
        table.c.reading_id.in_(sorted({row.reading_id for row in systolics})),
        table.c.superseded_at.is_(None),
    )
    if span is not None:
        query = query.where(table.c.measured_at.between(*span))
    for diastolic in session.execute(query.order_by(table.c.id)):
        key = (diastolic.patient_id, diastolic.reading_id)
        if key in found and found[key] is None:
            found[key] = diastolic  # the first, as the one-row query gives


def forget_diastolics(session: Session) -> None:
    session.info.pop(_DIASTOLICS, None)


def _diastolic_of(session: Session, row: Measurement) -> Measurement | None:
    if not row.reading_id:
        return None
    cached = session.info.get(_DIASTOLICS)
    if cached is not None and (row.patient_id, row.reading_id) in cached:
        return cached[(row.patient_id, row.reading_id)]
    return session.exec(
        select(Measurement).where(
            Measurement.patient_id == row.patient_id,
            Measurement.reading_id == row.reading_id,
            Measurement.type_code == "bp_diastolic",
            Measurement.superseded_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()


def operation_outcome(issues: list[tuple[str, str, str | None]]) -> dict:
    """(code, diagnostics, expression) triples as an OperationOutcome."""
    out = []
    for code, text, expression in issues:
        issue = {"severity": "error", "code": code, "diagnostics": text}
        if expression:
            issue["expression"] = [expression]
        out.append(issue)
    return {"resourceType": "OperationOutcome", "issue": out}


# --- the individual care plan (IZP) and its goals -----------------------------------------------

GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
GOAL_DOMAIN_SYSTEM = "urn:zelfzorg:goal-domain"  # health, lifestyle, participation, wellbeing
AGREEMENT_STATUS = {"open": "not-started", "done": "completed", "cancelled": "cancelled"}


def _condition_refs(session: Session, patient_id: int, codes: list[str] | None = None) -> list:
    query = select(Condition).where(Condition.patient_id == patient_id)
    if codes is not None:
        query = query.where(Condition.code.in_(codes))  # type: ignore[attr-defined]
    return [ref("Condition", c.id) for c in session.exec(query.order_by(Condition.id)).all()]


def goal(session: Session, row) -> dict:
    """A goal as nl-core-TreatmentObjective (zib Behandeldoel): description, target with a
    LOINC measure and a UCUM quantity, dueDate, addresses -> the programme's conditions."""
    resource: dict = {
        "resourceType": "Goal",
        "id": str(row.id),
        "meta": {"versionId": str(row.version), "lastUpdated": instant(row.updated_at)},
        "lifecycleStatus": row.lifecycle,
        "achievementStatus": {"coding": [{"system": GOAL_ACHIEVEMENT, "code": row.achievement}]},
        "category": [{"coding": [{"system": GOAL_DOMAIN_SYSTEM, "code": row.domain}]}],
        "description": {"text": row.title},
        "subject": ref("Patient", row.patient_id),
        "statusDate": row.updated_at.date().isoformat(),
    }
    target: dict = {}
    mtype = _measurement_type(row.target_type)
    if mtype is not None and mtype.loinc and row.target_value is not None:
        target["measure"] = _coding(mtype.loinc, mtype.name.get("en"))
        quantity = _quantity(row.target_value, row.target_unit or mtype.unit or "")
        if row.target_comparator in ("<", "<=", ">", ">="):
            quantity = {"value": quantity["value"], "comparator": row.target_comparator} | {
                k: v for k, v in quantity.items() if k != "value"
            }
        target["detailQuantity"] = quantity
    if row.due_date:
        target["dueDate"] = row.due_date.isoformat()
    if target:
        resource["target"] = [target]
    if row.proposed_by == "patient":
        resource["expressedBy"] = ref("Patient", row.patient_id)
    else:
        resource["expressedBy"] = {"type": "Practitioner", "display": "zorgverlener"}
    codes = [PROGRAMME_CONDITION[p][0] for p in row.programmes if p in PROGRAMME_CONDITION]
    addresses = _condition_refs(session, row.patient_id, codes) if codes else []
    if addresses:
        resource["addresses"] = addresses
    if addresses and "measure" in target:
        resource["meta"]["profile"] = [NL_CORE + "nl-core-TreatmentObjective"]
    return resource


def _measurement_type(code: str | None):
    if not code:
        return None
    try:
        return get_type(code)
    except KeyError:
        return None


def care_plan(session: Session, row) -> dict:
    """The one IZP of a patient: addresses all their conditions, its goals, its agreements as
    activities, the period since it was made."""
    from zelfzorg.izp.models import Goal, PlanAgreement

    goals = session.exec(select(Goal).where(Goal.plan_id == row.id).order_by(Goal.id)).all()
    agreements = session.exec(
        select(PlanAgreement).where(PlanAgreement.plan_id == row.id).order_by(PlanAgreement.id)
    ).all()
    resource: dict = {
        "resourceType": "CarePlan",
        "id": str(row.id),
        "meta": {"versionId": str(row.version), "lastUpdated": instant(row.updated_at)},
        "status": "active",
        "intent": "plan",
        "title": "Individueel zorgplan",
        "subject": ref("Patient", row.patient_id),
        "period": {"start": instant(row.created_at)},
        "created": instant(row.created_at),
    }
    if row.what_matters:
        resource["description"] = row.what_matters
    addresses = _condition_refs(session, row.patient_id)
    if addresses:
        resource["addresses"] = addresses
    if goals:
        resource["goal"] = [ref("Goal", g.id) for g in goals]
    activities = []
    for agreement in agreements:
        detail: dict = {
            "status": AGREEMENT_STATUS.get(agreement.status, "unknown"),
            "description": agreement.what,
        }
        if agreement.due_date:
            detail["scheduledString"] = agreement.due_date.isoformat()
        if agreement.who:
            detail["performer"] = [{"display": agreement.who}]
        activities.append({"detail": detail})
    if activities:
        resource["activity"] = activities
    return resource


# --- questionnaires, lifestyle referrals, the access log -----------------------------------------


def _text(value: object, lang: str = "nl") -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("nl") or "").strip()
    return str(value or "").strip()


def questionnaire(row) -> dict:
    """An instrument version; its score (and level, when it has levels) are read-only items."""
    definition = row.definition or {}
    options = [
        {"valueCoding": {"code": str(o["value"]), "display": _text(o.get("label"))}}
        for o in definition.get("answer_options", [])
    ]
    items = [
        {
            "linkId": str(item["code"]),
            "text": _text(item.get("text")),
            "type": "choice",
            "answerOption": options,
        }
        for item in definition.get("items", [])
    ]
    items.append({"linkId": "score", "text": "Score", "type": "decimal", "readOnly": True})
    if definition.get("levels"):
        items.append({"linkId": "level", "text": "Niveau", "type": "integer", "readOnly": True})
    return {
        "resourceType": "Questionnaire",
        "id": str(row.id),
        "meta": {"lastUpdated": instant(row.loaded_at)},
        "url": INSTRUMENT_CANONICAL + str(row.code),
        "name": str(row.code),
        "version": str(row.version),
        "title": _text(definition.get("title")),
        "status": "active" if row.is_current else "retired",
        "subjectType": ["Patient"],
        "item": items,
    }


def questionnaire_response(row) -> dict:
    items = [
        {"linkId": str(code), "answer": [{"valueCoding": {"code": str(value)}}]}
        for code, value in row.answers.items()
        if value is not None
    ]
    if row.score is not None:
        items.append({"linkId": "score", "answer": [{"valueDecimal": float(row.score)}]})
    if row.level is not None:
        items.append({"linkId": "level", "answer": [{"valueInteger": int(row.level)}]})
    resource: dict = {
        "resourceType": "QuestionnaireResponse",
        "id": str(row.id),
        "meta": {"lastUpdated": instant(row.completed_at or row.started_at)},
        "questionnaire": f"Questionnaire/{row.instrument_version_id}",
        "status": "completed" if str(row.status) == "completed" else "in-progress",
        "subject": ref("Patient", row.patient_id),
        "authored": instant(row.completed_at or row.started_at),
    }
    if row.filled_by_role == "patient":
        resource["author"] = ref("Patient", row.patient_id)
    if items:
        resource["item"] = items
    return resource


REFERRAL_STATUS = {
    "proposed": "draft",
    "offered": "active",
    "accepted": "active",
    "started": "active",
    "completed": "completed",
    "stopped": "revoked",
    "declined": "revoked",
}
INTERVENTION_SYSTEM = "urn:zelfzorg:lifestyle-intervention-kind"


def service_request(session: Session, row) -> dict:
    """A lifestyle referral (leefstijl): the intervention it refers to and where it stands."""
    from zelfzorg.leefstijl.models import Intervention

    intervention = session.get(Intervention, row.intervention_id)
    resource: dict = {
        "resourceType": "ServiceRequest",
        "id": str(row.id),
        "meta": {"versionId": str(row.version), "lastUpdated": instant(row.updated_at)},
        "status": REFERRAL_STATUS.get(row.state, "unknown"),
        "intent": "proposal" if row.state == "proposed" else "order",
        "category": [{"text": "leefstijlinterventie"}],
        "code": {
            "coding": [{"system": INTERVENTION_SYSTEM, "code": intervention.kind}],
            "text": intervention.name,
        }
        if intervention
        else {"text": "leefstijlinterventie"},
        "subject": ref("Patient", row.patient_id),
        "authoredOn": instant(row.created_at),
    }
    if intervention and intervention.provider:
        resource["performer"] = [{"display": intervention.provider}]
    if row.goal_id:
        resource["supportingInfo"] = [ref("Goal", row.goal_id)]
    return resource


AUDIT_ACTION = {
    "create": "C",
    "read": "R",
    "search": "R",
    "print": "R",
    "export": "R",
    "update": "U",
    "delete": "D",
    "login": "E",
}
AUDIT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"


def audit_event(row) -> dict:
    """One entry of a patient's own access log: who, when, what, allowed or refused."""
    entity = [{"what": ref("Patient", row.patient_id)}] if row.patient_id else []
    entity.append(
        {
            "what": {"display": f"{row.object_type} {row.object_id or ''}".strip()},
            "type": {
                "code": "2",
                "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
            },
        }
    )
    return {
        "resourceType": "AuditEvent",
        "id": str(row.id),
        "meta": {"lastUpdated": instant(row.at)},
        "type": {"system": AUDIT_TYPE, "code": "rest"},
        "action": AUDIT_ACTION.get(str(row.action), "E"),
        "recorded": instant(row.at),
        "outcome": "0" if str(row.outcome) == "allowed" else "4",
        "agent": [
            {
                "who": {"display": row.user_name or row.role},
                "requestor": True,
            }
        ],
        "source": {"observer": {"display": "Zelfzorg"}},
        "entity": entity,
    }


def render_rows(session: Session, typed_rows: Iterable[tuple[str, object]], today: date) -> list:
    """Rows of any types as their resources, in order: the one way to render a batch (a page of
    a search, of ``$everything``, of a bulk export). The blood pressures' diastolic halves are
    read for the whole batch at once, not once per reading."""
    typed_rows = list(typed_rows)
    prefetch_diastolics(session, [row for t, row in typed_rows if t == "Observation"])
    try:
        return [to_resource(session, t, row, today) for t, row in typed_rows]
    finally:
        forget_diastolics(session)


def to_resource(session: Session, resource_type: str, row, today: date) -> dict:
    """Any row the API emits as its FHIR resource (``today`` decides an enrolment's status)."""
    if resource_type == "Patient":
        return patient(row)
    if resource_type == "Condition":
        return condition(row)
    if resource_type == "EpisodeOfCare":
        return episode_of_care(row, today)
    if resource_type == "Goal":
        return goal(session, row)
    if resource_type == "CarePlan":
        return care_plan(session, row)
    if resource_type == "Questionnaire":
        return questionnaire(row)
    if resource_type == "QuestionnaireResponse":
        return questionnaire_response(row)
    if resource_type == "ServiceRequest":
        return service_request(session, row)
    if resource_type == "AuditEvent":
        return audit_event(row)
    return observation(session, row)
