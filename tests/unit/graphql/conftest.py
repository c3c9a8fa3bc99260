from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.local_cloud import ResolverRuntime


@pytest.fixture(scope="session")
def runtime() -> Iterator[ResolverRuntime]:
    """One Node.js process for the whole session: each evaluation still gets a fresh context."""
    with ResolverRuntime() as resolver_runtime:
        yield resolver_runtime
