"""Operator commands for a deployed stack (never imported by the application)."""
