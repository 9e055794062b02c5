"""Telemonitoring: measurement types, plausibility checks, targets, alert rules and charts.

This package's pure domain logic (no Flask, no database): ``types`` loads the measurement types
from ``data/measurement_types.yaml``; ``plausibility`` checks readings; ``rules`` holds targets
and evaluates alert rules; ``charts`` chooses buckets and draws SVG trend charts.
"""
