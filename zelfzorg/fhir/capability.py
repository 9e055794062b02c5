"""The CapabilityStatement: exactly what this server supports, generated from the search
specs so it cannot drift from them."""

from __future__ import annotations

from zelfzorg.fhir.search import SPECS

SEARCH_TYPES = {"date": "date", "token": "token", "reference": "reference"}


def _params(name: str) -> list[dict]:
    spec = SPECS[name]
    params = [
        {"name": "_id", "type": "token"},
        {"name": "_lastUpdated", "type": "date"},
        {"name": "_count", "type": "number"},
        {"name": "_sort", "type": "string", "documentation": "One of: " + ", ".join(spec.sorts)},
    ]
    if spec.patient_column is not None:
        params.append({"name": "patient", "type": "reference"})
    params += [{"name": d, "type": "date"} for d in spec.dates]
    if spec.codes is not None:
        params.append({"name": "code", "type": "token"})
    if spec.statuses is not None:
        params.append({"name": "status", "type": "token"})
    params += [{"name": e, "type": "token"} for e in spec.extra]
    return params


def _resource(name: str) -> dict:
    resource: dict = {
        "type": name,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": _params(name),
    }
    if name == "Goal":
        resource["interaction"].append({"code": "update"})
        resource["versioning"] = "versioned-update"
        resource["updateCreate"] = False
    if name == "Patient":
        resource["operation"] = [
            {
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
            }
        ]
    return resource


def capability_statement(base_url: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "kind": "instance",
        "software": {"name": "Zelfzorg"},
        "implementation": {"description": "Zelfzorg FHIR API", "url": base_url},
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ],
                            "text": "Bearer API tokens with the scopes patient/*.read, "
                            "user/*.read and user/*.write",
                        }
                    ]
                },
                "resource": [_resource(name) for name in SPECS],
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": "Import of Patient, Condition, EpisodeOfCare, "
                        "Observation, Goal and QuestionnaireResponse into the professional's "
                        "practice: all or nothing, conditional on the HIS number "
                        "(urn:zelfzorg:his-number) and each resource's identifier.",
                    }
                ],
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"
                        "group-export",
                        "documentation": "Group/{practice id}/$export (Prefer: respond-async): "
                        "NDJSON per resource type of the practice's patients, for its "
                        "professionals; _since, _type, _outputFormat=application/fhir+ndjson.",
                    }
                ],
            }
        ],
    }
