"""Contracting reports for care groups: indicators, contracts, reports and exports."""
