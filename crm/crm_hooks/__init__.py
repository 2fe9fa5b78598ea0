"""crm's own registrations in crm/hooks.py: the win-back care rule and the
profile, scores, interactions, care-task and campaign parts of the 360 page."""

from crm.crm_hooks import care, sections  # noqa: F401
