"""The FHIR R4 API: ``/fhir/metadata``, read and search. Thin: authentication is
accounts.tokens.authenticate_api, access and audit are accounts.scope, searching is
fhir.search. Bearer tokens only (a cookie session never authenticates here), so CSRF does
not apply to this blueprint; every cookie-session form elsewhere keeps it."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request, stream_with_context
from werkzeug.http import http_date

from zelfzorg import csrf
from zelfzorg.accounts.scope import get_patient_for, load_for
from zelfzorg.accounts.tokens import (
    SCOPE_USER_READ,
    SCOPE_USER_WRITE,
    TokenRefused,
    TooManyAttempts,
    authenticate_api,
)
from zelfzorg.db import get_session
from zelfzorg.errors import N_, Conflict, DomainError, Forbidden, NotFound, ValidationError
from zelfzorg.fhir import resources
from zelfzorg.fhir.bulk import (
    RETRY_AFTER,
    ExportFailed,
    ExportGone,
    NotAllowed,
    TooManyExports,
    cancel_export,
    export_file,
    export_state,
    folder_of,
    start_export,
)
from zelfzorg.fhir.capability import capability_statement
from zelfzorg.fhir.everything import everything
from zelfzorg.fhir.http import fhir_response
from zelfzorg.fhir.importer import BundleRefused, import_bundle
from zelfzorg.fhir.search import SPECS, search
from zelfzorg.fhir.updates import (
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
    update_goal,
)
from zelfzorg.inputs import parse_id
from zelfzorg.models_base import utcnow
from zelfzorg.telemonitoring.models import Measurement
from zelfzorg.web import today, translate

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
csrf.exempt(bp)


class ScopeMissing(DomainError):
    """The token is valid but its scopes do not cover this request: 403."""


def outcome(status: int, code: str, message: str, expression: str | None = None) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="zelfzorg"'} if status == 401 else {}
    return fhir_response(
        resources.operation_outcome([(code, message, expression)]), status, headers
    )


@bp.errorhandler(TooManyAttempts)
def _throttled(error: TooManyAttempts):
    response = outcome(429, "throttled", translate(error.message, error.params))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.errorhandler(TokenRefused)
def _refused(error: TokenRefused):
    return outcome(401, "login", translate(error.message, error.params))


@bp.errorhandler(ScopeMissing)
def _scope(error: ScopeMissing):
    return outcome(403, "forbidden", translate(error.message, error.params))


@bp.errorhandler(NotFound)
@bp.errorhandler(Forbidden)
def _not_found(error: DomainError):
    # Another practice's or patient's record is as absent as a missing one (audited as
    # denied by the access layer); the message never says it exists.
    return outcome(
        404,
        "not-found",
        translate(N_("Deze resource bestaat niet of u heeft er geen toegang toe.")),
    )


@bp.errorhandler(ValidationError)
def _invalid(error: ValidationError):
    if isinstance(error, Unprocessable):
        return outcome(422, "processing", translate(error.message, error.params), error.field)
    return outcome(400, "invalid", translate(error.message, error.params), error.field)


@bp.errorhandler(PreconditionFailed)
def _precondition(error: PreconditionFailed):
    return outcome(412, "conflict", translate(error.message, error.params))


@bp.errorhandler(PreconditionRequired)
def _precondition_required(error: PreconditionRequired):
    return outcome(428, "required", translate(error.message, error.params))


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return outcome(403, "forbidden", translate(error.message, error.params))


@bp.errorhandler(TooManyExports)
def _too_many(error: TooManyExports):
    response = outcome(429, "throttled", translate(error.message, error.params))
    response.headers["Retry-After"] = "60"
    return response


@bp.errorhandler(ExportGone)
def _gone(error: ExportGone):
    return outcome(410, "not-found", translate(error.message, error.params))


@bp.errorhandler(ExportFailed)
def _failed(error: ExportFailed):
    return outcome(500, "exception", translate(error.message, error.params))


@bp.errorhandler(Conflict)
def _conflict(error: Conflict):
    return outcome(409, "conflict", translate(error.message, error.params))


@bp.before_request
def _authenticate():
    if request.endpoint == "fhir.metadata":
        return None
    caller = authenticate_api(
        get_session(),
        request.headers.get("Authorization"),
        client_address=request.remote_addr or "",
        now=utcnow(),
    )
    # Cancelling one's own bulk export (DELETE) needs no write scope: it changes no record.
    write = request.method not in ("GET", "HEAD") and request.endpoint != "fhir.export_cancel"
    if not (caller.may_write if write else caller.may_read):
        raise ScopeMissing(N_("Dit token mag dit niet (bevoegdheid ontbreekt)."))
    g.api_caller = caller
    return None


def _actor():
    return g.api_caller.actor


def _spec(resource_type: str):
    spec = SPECS.get(resource_type)
    if spec is None:
        raise NotFound(N_("Onbekend resourcetype."))
    return spec


def to_resource(session, resource_type: str, row) -> dict:
    return resources.to_resource(session, resource_type, row, today())


@bp.get("/metadata")
def metadata():
    return fhir_response(capability_statement(request.url_root.rstrip("/") + "/fhir"))


@bp.get("/Patient/<int:patient_id>/$everything")
def patient_everything(patient_id: int):
    """Everything of one patient, paged (``_count``, ``_since``, ``_type``), no cap."""
    session = get_session()
    args = request.args
    page = everything(
        session,
        _actor(),
        patient_id,
        count=args.get("_count"),
        since=args.get("_since"),
        types=args.get("_type"),
        cursor=args.get("_cursor"),
    )
    root = request.url_root.rstrip("/") + "/fhir"
    links = [{"relation": "self", "url": request.url}]
    if page.next_cursor:
        kept = [(k, v) for k in args if k != "_cursor" for v in args.getlist(k)]
        query = urlencode([*kept, ("_cursor", page.next_cursor)])
        links.append({"relation": "next", "url": f"{request.base_url}?{query}"})
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{root}/{type_name}/{row.id}",
                    "resource": resource,
                    "search": {"mode": "match"},
                }
                for (type_name, row), resource in zip(
                    page.rows, resources.render_rows(session, page.rows, today()), strict=True
                )
            ],
        }
    )


@bp.get("/<resource_type>/<rid>")
def read(resource_type: str, rid: str):
    spec = _spec(resource_type)
    session = get_session()
    actor = _actor()
    number = parse_id(rid)  # ASCII digits in the database's range ("٣" is not an id)
    if number is None:
        raise NotFound(N_("Deze resource bestaat niet."))
    if spec.access == "public":
        row = session.get(spec.model, number)
        if row is None:
            raise NotFound(N_("Deze resource bestaat niet."))
    elif spec.access == "own_log":
        page = search(session, actor, spec, {"_id": [rid]}, today=today())
        if not page.rows:
            raise NotFound(N_("Deze resource bestaat niet."))
        row = page.rows[0]
    elif spec.patient_column is None:
        row = get_patient_for(session, actor, number)
    else:
        row = load_for(session, actor, spec.model, number)
        if isinstance(row, Measurement) and not _emitted(row):
            raise NotFound(N_("Deze resource bestaat niet."))
    headers = {"ETag": f'W/"{row.version}"'} if hasattr(row, "version") else {}
    return fhir_response(to_resource(session, resource_type, row), headers=headers)


def _emitted(row: Measurement) -> bool:
    return row.superseded_at is None and row.type_code in resources.emitted_type_codes()


@bp.post("/")
def transaction():
    """Import a transaction Bundle into the professional's own practice (all or nothing)."""
    actor = _actor()
    if not actor.is_professional or actor.user.practice_id is None:
        raise ScopeMissing(N_("Alleen een zorgverlener van een praktijk kan een bundel inlezen."))
    session = get_session()
    try:
        result = import_bundle(
            session,
            request.get_json(silent=True, force=True),
            practice_id=actor.user.practice_id,
            subject=actor.audit_subject,
            created_by_id=actor.user_id,
            now=utcnow(),
            actor=actor,
        )
    except BundleRefused as error:
        return fhir_response(refusal_outcome(error), 422)
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "transaction-response",
            "entry": [
                {
                    "response": {
                        "status": o.status,
                        "location": f"{o.resource_type}/{o.rid}",
                    }
                }
                for o in result.outcomes
            ],
        }
    )


def refusal_outcome(error: BundleRefused) -> dict:
    return resources.operation_outcome(
        [("invalid", translate(i.message, i.params), i.expression) for i in error.issues]
    )


@bp.put("/Goal/<rid>")
def put_goal(rid: str):
    """Update a goal: ``If-Match: W/"<version>"`` required (412 when it changed meanwhile).
    The id is read by the one id parser: anything else is a 404 OperationOutcome."""
    goal_id = parse_id(rid)
    if goal_id is None:
        raise NotFound(N_("Deze resource bestaat niet."))
    session = get_session()
    resource = request.get_json(silent=True, force=True)
    goal = update_goal(
        session,
        _actor(),
        goal_id,
        resource,
        if_match=request.headers.get("If-Match"),
        today=today(),
    )
    session.flush()
    return fhir_response(resources.goal(session, goal), headers={"ETag": f'W/"{goal.version}"'})


@bp.get("/<resource_type>")
def search_type(resource_type: str):
    spec = _spec(resource_type)
    session = get_session()
    params = {k: request.args.getlist(k) for k in request.args}
    page = search(session, _actor(), spec, params, today=today())
    base = request.base_url
    links = [{"relation": "self", "url": request.url}]
    kept = [(k, v) for k, vs in params.items() if k != "_cursor" for v in vs]
    if page.next_cursor:
        links.append(
            {
                "relation": "next",
                "url": f"{base}?{urlencode([*kept, ('_cursor', page.next_cursor)])}",
            }
        )
    if page.previous_cursor:
        links.append(
            {
                "relation": "previous",
                "url": f"{base}?{urlencode([*kept, ('_cursor', page.previous_cursor)])}",
            }
        )
    root = request.url_root.rstrip("/") + "/fhir"
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{root}/{resource_type}/{row.id}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for row, resource in zip(
                page.rows,
                resources.render_rows(session, [(resource_type, r) for r in page.rows], today()),
                strict=True,
            )
        ],
    }
    return fhir_response(bundle)


# --- bulk export (FHIR Bulk Data Access) -------------------------------------------------------


def _root() -> str:
    return request.url_root.rstrip("/") + "/fhir"


@bp.get("/Group/<rid>/$export")
def group_export(rid: str):
    """Kick-off: 202 with the status URL in Content-Location; the export job makes the files."""
    if not g.api_caller.scopes & {SCOPE_USER_READ, SCOPE_USER_WRITE}:
        raise ScopeMissing(N_("Een export vraagt een token met bevoegdheid user/*.read."))
    practice_id = parse_id(rid)
    if practice_id is None:
        raise NotFound(N_("Deze groep bestaat niet."))
    if "respond-async" not in request.headers.get("Prefer", ""):
        return outcome(400, "invalid", translate(N_("Stuur de kop Prefer: respond-async.")))
    if "application/fhir+json" not in request.headers.get("Accept", ""):
        return outcome(400, "invalid", translate(N_("Stuur de kop Accept: application/fhir+json.")))
    export = start_export(
        get_session(),
        _actor(),
        practice_id,
        {k: request.args.getlist(k) for k in request.args},
        request_url=request.url,
        now=utcnow(),
        hours=current_app.config["FHIR_EXPORT_HOURS"],
    )
    response = Response(status=202)
    response.headers["Content-Location"] = f"{_root()}/$export-status/{export.key}"
    return response


@bp.get("/$export-status/<key>")
def export_status(key: str):
    """202 with X-Progress while the job runs, 200 with the manifest when it is done."""
    state = export_state(get_session(), _actor(), key, now=utcnow())
    export = state.export
    if not state.done:
        total, done = export.patients_total, export.patients_done
        percent = 100 * done // total if total else 0
        response = Response(status=202)
        response.headers["X-Progress"] = f"{percent}% ({done} of {total} patients)"
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    manifest = {
        "transactionTime": resources.instant(export.transaction_time),
        "request": export.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": f.resource_type,
                "url": f"{_root()}/$export-file/{export.key}/{f.resource_type}.ndjson",
                "count": f.count,
            }
            for f in state.files
        ],
        "error": [],
    }
    response = Response(json.dumps(manifest), status=200, mimetype="application/json")
    response.headers["Expires"] = http_date(export.expires_at)
    return response


@bp.delete("/$export-status/<key>")
def export_cancel(key: str):
    """Cancel: the job stops at its next batch; the files are deleted."""
    folder = folder_of(current_app.config)
    cancel_export(get_session(), _actor(), key, folder=folder, now=utcnow())
    return Response(status=202)


@bp.get("/$export-file/<key>/<resource_type>.ndjson")
def export_download(key: str, resource_type: str):
    """One NDJSON file, streamed, for the requester only (the same bearer token's user)."""
    folder = folder_of(current_app.config)
    path, stored = export_file(
        get_session(), _actor(), key, resource_type, folder=folder, now=utcnow()
    )
    handle = open(path, "rb")  # noqa: SIM115 (closed by the generator)

    def chunks():
        with handle:
            while block := handle.read(64 * 1024):
                yield block

    response = Response(stream_with_context(chunks()), status=200)
    response.headers["Content-Type"] = "application/fhir+ndjson"
    response.headers["Content-Length"] = str(stored.size)
    return response
