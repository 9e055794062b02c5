"""The words for a report's codes, shared by the report pages and every export (Dutch msgids;
pages translate with Flask-Babel, exports with the compiled catalogs)."""

from __future__ import annotations

from zelfzorg.errors import N_

KIND_LABELS = {
    "requirement": N_("eis"),
    "desired": N_("gewenst"),
    "advice": N_("advies"),
    "informational": N_("informatief"),
}
STATUS_LABELS = {
    "met": N_("voldaan"),
    "not_met": N_("niet voldaan"),
    "not_applicable": N_("niet van toepassing"),
    "informational": N_("ter informatie"),
}
SEX_LABELS = {
    "female": N_("vrouw"),
    "male": N_("man"),
    "other": N_("anders"),
    "unknown": N_("onbekend"),
}
