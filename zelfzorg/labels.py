"""The one registry of plain words for the codes the data carries: roles, disciplines, audit
actions and outcomes, object types (every model class name and audit object type) and
questionnaire kinds. Dutch msgids (B1), English in the catalog; pages call ``label(kind,
code)`` (a template global), services that run without Flask keep the msgid and let the
caller translate it.

Statuses of goals, agreements and reviews carry their words on their own enums
(``izp.pdca.LabelledEnum``); contracting keeps the words of its report codes in
``contracting/labels.py`` (reached here as "sex", "indicator_kind" and "verdict").
"""

from __future__ import annotations

from zelfzorg.contracting.labels import KIND_LABELS, SEX_LABELS, STATUS_LABELS
from zelfzorg.errors import N_

ROLES = {
    "patient": N_("Patiënt"),
    "professional": N_("Zorgverlener"),
    "caregroup": N_("Zorggroepmedewerker"),
    "admin": N_("Beheerder"),
}
DISCIPLINES = {
    "poh": N_("Praktijkondersteuner (POH)"),
    "gp": N_("Huisarts"),
    "dietitian": N_("Diëtist"),
    "physiotherapist": N_("Fysiotherapeut"),
    "other": N_("Anders"),
}
AUDIT_ACTIONS = {
    "read": N_("bekeken"),
    "create": N_("toegevoegd"),
    "update": N_("gewijzigd"),
    "delete": N_("verwijderd"),
    "print": N_("afgedrukt"),
    "export": N_("geëxporteerd"),
    "search": N_("gezocht"),
    "login": N_("ingelogd"),
}
AUDIT_OUTCOMES = {
    "allowed": N_("toegestaan"),
    "denied": N_("geweigerd"),
}
LANGUAGES = {
    "nl": N_("Nederlands"),
    "en": N_("Engels"),
}
INSTRUMENT_KINDS = {
    "activation": N_("Vragenlijst zelfmanagement (activatie)"),
    "self_efficacy": N_("Vertrouwen in omgaan met uw aandoening"),
    "experience": N_("Ervaring met de zorg"),
    "well_being": N_("Vragenlijst welbevinden"),
    "symptoms": N_("Vragenlijst klachten"),
}
# Which part of the record: every model class name and every audit object type.
OBJECT_TYPES = {
    "ActionLog": N_("logboek van ontwikkelacties"),
    "ActivationCode": N_("activatiecode"),
    "Alert": N_("signaal over metingen"),
    "ApiToken": N_("sleutel voor een koppeling"),
    "AssessmentResponse": N_("vragenlijst"),
    "AssessmentSetting": N_("instellingen van vragenlijsten"),
    "AuditEntry": N_("overzicht wie gegevens bekeek"),
    "AuditEvent": N_("overzicht wie gegevens bekeek"),
    "AuditLog": N_("overzicht wie gegevens bekeek"),
    "CareGroup": N_("zorggroep"),
    "CareGroupReport": N_("rapportage van de zorggroep"),
    "CarePlan": N_("zorgplan"),
    "CarePlanHistory": N_("geschiedenis van het zorgplan"),
    "CareTeam": N_("zorgteam"),
    "CareTeamMember": N_("zorgteam"),
    "CohortCount": N_("vergelijkbare patiënten van vannacht"),
    "CohortGoal": N_("vergelijkbare patiënten van vannacht"),
    "CohortMember": N_("vergelijkbare patiënten van vannacht"),
    "CohortSnapshot": N_("vergelijkbare patiënten van vannacht"),
    "CohortValue": N_("vergelijkbare patiënten van vannacht"),
    "Condition": N_("aandoening"),
    "Contract": N_("contract"),
    "ContractTerm": N_("afspraak in een contract"),
    "ContractingActOn": N_("patiënten om op te volgen"),
    "ContractingReport": N_("rapportage voor het contract"),
    "DevelopmentAction": N_("ontwikkelactie"),
    "DeviceToken": N_("koppeling met een meetapparaat"),
    "Eligibility": N_("wie mee kan doen aan een leefstijlprogramma"),
    "EligibilityQueue": N_("wie mee kan doen aan een leefstijlprogramma"),
    "Enrolment": N_("zorgprogramma"),
    "EpisodeOfCare": N_("zorgprogramma"),
    "ExportFile": N_("exportbestand"),
    "ExportSchedule": N_("geplande export"),
    "Goal": N_("doel in het zorgplan"),
    "GoalAction": N_("actie bij een doel"),
    "GoalReview": N_("evaluatie van een doel"),
    "GoalStatusHistory": N_("geschiedenis van een doel"),
    "GoalsDue": N_("doelen om te evalueren"),
    "InstrumentVersion": N_("versie van een vragenlijst"),
    "Intervention": N_("leefstijlprogramma"),
    "JobRun": N_("geplande taak"),
    "LifestyleCatalogue": N_("aanbod van leefstijlprogramma's"),
    "LifestyleEligibility": N_("wie mee kan doen aan een leefstijlprogramma"),
    "LifestyleIntervention": N_("leefstijlprogramma"),
    "LifestyleOpportunities": N_("wie mee kan doen aan een leefstijlprogramma"),
    "LifestyleReferral": N_("verwijzing naar een leefstijlprogramma"),
    "Measurement": N_("metingen"),
    "MeasurementChart": N_("grafiek van metingen"),
    "MeasurementLatest": N_("laatste meting van elk soort"),
    "Notification": N_("melding"),
    "OutcomeCohort": N_("vergelijkbare patiënten van vannacht"),
    "Observation": N_("metingen"),
    "Patient": N_("persoonsgegevens"),
    "PatientActivityDay": N_("activiteit per dag"),
    "PatientEverything": N_("het hele dossier"),
    "PatientList": N_("lijst met patiënten"),
    "PersonalTarget": N_("persoonlijke streefwaarde"),
    "PlanAgreement": N_("afspraak in het zorgplan"),
    "PlatformStatement": N_("verklaring over het platform"),
    "Policy": N_("visie op zelfmanagement"),
    "PolicyVersion": N_("visie op zelfmanagement"),
    "Practice": N_("praktijk"),
    "PracticeMembership": N_("werkplek in een praktijk"),
    "PracticeOverview": N_("overzicht van de praktijk"),
    "PracticePeriod": N_("inschrijving bij de praktijk"),
    "Questionnaire": N_("vragenlijst"),
    "QuestionnaireResponse": N_("vragenlijst"),
    "Referral": N_("verwijzing naar een leefstijlprogramma"),
    "ReferralEvent": N_("verwijzing naar een leefstijlprogramma"),
    "Revision": N_("geschiedenis van het zorgplan"),
    "ServiceRequest": N_("verwijzing naar een leefstijlprogramma"),
    "StoredReport": N_("bewaarde rapportage"),
    "ThrottleHit": N_("mislukte poging"),
    "User": N_("gebruikersaccount"),
    "Worklist": N_("werklijst"),
    "BulkExport": N_("export van de gegevens van een praktijk"),
    "BulkExportFile": N_("exportbestand van een praktijk"),
    "ErasureRequest": N_("verzoek om gegevens te verwijderen"),
    "FhirImportKey": N_("gegevens uit een koppeling"),
    "Group": N_("patiënten van een praktijk"),
    "OutboxEmail": N_("e-mailbericht"),
    "Outcomes": N_("uitkomsten vergeleken met anderen"),
    "PasswordReset": N_("nieuw wachtwoord instellen"),
    "PatientData": N_("al uw gegevens"),
    "PatientHome": N_("startpagina"),
}
# A page someone was refused is audited under its endpoint ("patients.detail").
PAGE = N_("een pagina")
UNKNOWN = N_("overige gegevens")

GROUPS: dict[str, dict[str, str]] = {
    "role": ROLES,
    "discipline": DISCIPLINES,
    "audit_action": AUDIT_ACTIONS,
    "audit_outcome": AUDIT_OUTCOMES,
    "instrument": INSTRUMENT_KINDS,
    "language": LANGUAGES,
    "object_type": OBJECT_TYPES,
    "sex": SEX_LABELS,
    "indicator_kind": KIND_LABELS,
    "verdict": STATUS_LABELS,
}


def msgid(kind: str, code: object) -> str:
    """The Dutch msgid for ``code`` of ``kind`` (an Enum member or its value)."""
    value = str(getattr(code, "value", code) or "")
    words = GROUPS[kind].get(value)
    if words is not None:
        return words
    if kind == "object_type":
        return PAGE if "." in value else UNKNOWN
    return value


def label(kind: str, code: object) -> str:
    """``code`` in plain words in the reader's language (a template global)."""
    from flask_babel import gettext

    words = msgid(kind, code)
    return gettext(words) if words else ""  # gettext("") would be the catalog's header
