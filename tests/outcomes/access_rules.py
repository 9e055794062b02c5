from tests.access import Rule, own_patient

PATIENTS = frozenset({"patient", "patient_other"})

RULES = {
    # Every patient sees their own page (the URL has no patient id).
    "outcomes.mine": Rule(PATIENTS),
    # Only a professional of the patient's practice; care-group staff and admins never.
    "outcomes.patient_outcomes": Rule(frozenset({"professional"}), own_patient),
}
