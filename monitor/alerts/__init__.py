"""Alerts: lifecycle, evidence, digests and notifiers."""
