"""The FHIR JSON response, shared by the API blueprint and the patient's download page."""

from __future__ import annotations

import json

from flask import Response

FHIR_JSON = "application/fhir+json; charset=utf-8"


def fhir_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=None)
    response.headers["Content-Type"] = FHIR_JSON
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
