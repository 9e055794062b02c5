"""Outcome dashboard: a patient's outcomes next to comparable patients (issue 16)."""
