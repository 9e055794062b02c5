"""Exports of a contracting report for the insurer: PDF, CSV, HTML and a FHIR MeasureReport
bundle. Every export goes through :func:`export_report`, which applies small-cell and
complementary suppression first, and is audited with :func:`audit_export`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from zelfzorg.audit.models import AuditAction
from zelfzorg.audit.services import AuditSubject, record
from zelfzorg.contracting.report_data import ReportData
from zelfzorg.contracting.suppression import suppress

FORMATS = ("pdf", "csv", "html", "fhir")
MIMETYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "fhir": "application/fhir+json",
}
EXTENSIONS = {"pdf": "pdf", "csv": "csv", "html": "html", "fhir": "json"}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    mimetype: str
    filename: str


def export_report(
    data: ReportData, fmt: str, *, lang: str = "nl", delimiter: str = ","
) -> ExportFile:
    """The report in ``fmt``, suppressed for the insurer (aggregates only, no small cells)."""
    from zelfzorg.contracting.exports.common import file_stem, language

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    lang = language(lang)
    view = suppress(data)
    if fmt in ("pdf", "html"):
        from zelfzorg.contracting.exports import pdf

        html = pdf.report_html(view, lang=lang)
        content = pdf.report_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    elif fmt == "csv":
        from zelfzorg.contracting.exports import csv

        content = csv.report_csv(view, lang=lang, delimiter=delimiter)
    else:
        from zelfzorg.contracting.exports import fhir

        content = fhir.report_bundle_json(view).encode("utf-8")
    return ExportFile(content, MIMETYPES[fmt], f"{file_stem(view)}.{EXTENSIONS[fmt]}")


#: Who the command line and the scheduler act as in the audit log.
SYSTEM_SUBJECT = AuditSubject(
    user_id=None, user_name="zelfzorg report", role="system", organisation="platform",
    client_address="local",
)  # fmt: skip


def audit_export(
    session: Session, subject: AuditSubject, data: ReportData, fmt: str, *, detail: str = ""
) -> None:
    """An aggregate export: who took which care group's report out, in which format (no
    patient: the file holds counts only). ``subject``: ``actor.audit_subject`` in a request."""
    record(
        session,
        subject,
        action=AuditAction.export,
        object_type="ContractingReport",
        object_id=data.care_group_id,
        detail=(
            f"{fmt} {data.period_start.isoformat()}..{data.period_end.isoformat()} "
            f"v{data.definition_version} {data.fingerprint} {detail}"
        ).strip()[:200],
    )
