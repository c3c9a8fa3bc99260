"""How ``make pytest`` measures coverage (tests/conftest.py): one coverage per test process, tracing the
in-process tiers only. Meaningful under ``--cov`` (``make pytest``, ``make test``); skipped without it."""

from __future__ import annotations

import sys

import pytest
from coverage.collector import Collector

from tests.support.coverage import coverage_controller


def test_one_coverage_traces_an_in_process_tier(request: pytest.FixtureRequest) -> None:
    if coverage_controller(request.config) is None:
        pytest.skip("coverage is measured under `make pytest` (pytest --cov)")
    # Two would each trace every call, in pytest-xdist workers too, one of them for nothing.
    assert len(Collector._collectors) == 1
    assert sys.gettrace() is not None
