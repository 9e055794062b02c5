"""Integrated individual care plan (IZP): one plan per patient, goals worked in a PDCA cycle.

Pure building blocks live in ``pdca`` (statuses, review decisions, goal input rules),
``progress`` (progress against a measurable target) and ``revisions`` (field diffs and the plan
as it was at a given moment).
"""
