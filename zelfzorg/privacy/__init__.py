"""Right of access (the patient's data as one PDF) and the erasure workflow (GDPR art. 15, 17)."""
