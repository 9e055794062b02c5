"""Contracting's scheduler jobs (imported by the app factory, which registers them)."""

from zelfzorg.contracting import schedule  # noqa: F401  (registers the scheduled-export job)
