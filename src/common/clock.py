"""The current time, in one place: services take ``now`` as an argument, handlers pass ``utc_now()``."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
