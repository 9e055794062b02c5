"""FHIR R4 API under /fhir/: read and search, authenticated by API tokens (accounts.tokens)."""
