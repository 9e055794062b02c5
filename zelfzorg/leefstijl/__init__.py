"""Lifestyle interventions: catalogue, inclusion criteria, referrals and their outcomes.

``criteria`` holds the pure inclusion-criteria engine (schema, parsing, three-valued evaluation,
readable text); ``referral_states`` holds the referral lifecycle and outcome validation.
"""
