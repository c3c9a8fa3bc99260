"""Booking service: the saga's booking steps (reserve, confirm, cancel, notify)."""
