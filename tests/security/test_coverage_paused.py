"""The security tier runs none of src/ in the test process: coverage does not trace it (tests/conftest.py,
``NOT_MEASURED``). Meaningful under ``--cov`` (``make pytest``, ``make test``); skipped without it."""

from __future__ import annotations

import sys
import threading

import pytest

from tests.support.coverage import coverage_controller


def test_nothing_traces_a_tier_that_runs_no_application_code(request: pytest.FixtureRequest) -> None:
    if coverage_controller(request.config) is None:
        pytest.skip("coverage is measured under `make pytest` (pytest --cov)")
    assert sys.gettrace() is None
    assert threading.gettrace() is None
