"""The security tier runs none of src/ in the test process: coverage does not trace it (tests/conftest.py,
``NOT_MEASURED``). Meaningful under ``--cov`` (``make pytest``, ``make test``); skipped without it."""

from __future__ import annotations

import sys
import threading

import pytest


def test_nothing_traces_a_tier_that_runs_no_application_code(request: pytest.FixtureRequest) -> None:
    plugin = request.config.pluginmanager.getplugin("_cov")
    if getattr(plugin, "cov_controller", None) is None:
        pytest.skip("coverage is measured under `make pytest` (pytest --cov)")
    assert sys.gettrace() is None
    assert threading.gettrace() is None
