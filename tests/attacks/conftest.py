"""Attacks on the running local cloud, each written from the attacker's side: every one must be refused
and leave nothing behind. They need ``sam build`` output (``make build``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import require_build
from tests.support.audit import uses_of
from tests.support.local_cloud import LocalCloud, prewarmed_cloud
from tests.support.session import observations


@pytest.fixture(scope="module")
def cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """One local cloud per test module: an attack in one module cannot leave state for another.

    What the stack's own roles did in it counts for the least-privilege audit, as in the e2e tier."""
    require_build()
    with prewarmed_cloud().start() as running:
        yield running
        observations(request.config).observe(uses_of(running))
