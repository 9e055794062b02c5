"""Fixtures of the FHIR tests."""

from __future__ import annotations

import pytest


@pytest.fixture()
def folder(app, tmp_path):
    """FHIR_EXPORT_DIR in the test's own temporary folder (the bulk export files)."""
    before = app.config["FHIR_EXPORT_DIR"]
    app.config["FHIR_EXPORT_DIR"] = str(tmp_path / "exports")
    yield tmp_path / "exports"
    app.config["FHIR_EXPORT_DIR"] = before
