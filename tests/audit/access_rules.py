from tests.access import Rule

RULES = {
    "audit.my_access": Rule(frozenset({"patient", "patient_other"})),
    "audit.admin_log": Rule(frozenset({"admin"})),
    "audit.admin_export": Rule(frozenset({"admin"})),
}
