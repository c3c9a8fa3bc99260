"""What a test session whose tests run in pytest-xdist workers records for the audit: one run, merged
from every worker's observations by the controller (secaudit.pytest_support).

Each test runs a pytest session of its own (pytester) on the tiny project of observed_project.py, with
real xdist workers. Apart from test_observations.py so that the two spread over the tools' own workers."""

from __future__ import annotations

import pytest

from secaudit.usage import read
from tests.secaudit.observed_project import MODULES, observed_project, pytest_run, session


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return observed_project(pytester, monkeypatch)


@pytest.mark.parametrize("distribution", ["loadfile", "load"])
def test_parallel_workers_write_one_complete_run(project: pytest.Pytester, distribution: str) -> None:
    # Each worker's clouds see only the modules it ran: the file must hold every worker's uses.
    pytest_run(project, "--dist", distribution, "tests", workers=2).assert_outcomes(passed=5)
    run, uses = read(project.path / "observed.json")

    assert run.complete
    assert run.modules == MODULES
    assert {use.resource for use in uses} == {"test_booking", "test_loyalty", "test_forgery"}


def test_a_failure_on_one_worker_makes_its_module_missing(project: pytest.Pytester) -> None:
    project.makepyfile(**{"tests/e2e/test_loyalty": "def test_reads_points(cloud):\n    assert False\n"})

    run = session(project, "--dist", "loadfile", "tests", workers=2)

    assert run.missing(MODULES) == {"tests/e2e/test_loyalty.py": "1 failed"}


def test_parallel_workers_count_a_deselected_test_once(project: pytest.Pytester) -> None:
    run = session(project, "tests", "-k", "not cancels", workers=2)

    assert run.missing(MODULES) == {"tests/e2e/test_booking.py": "1 deselected"}


def test_the_modules_of_a_worker_that_crashed_are_missing(project: pytest.Pytester) -> None:
    # One worker runs the modules in order: the attack, the booking, then the loyalty module, which
    # ends the worker before it could hand over what the first two observed.
    crash = "import os\n\ndef test_reads_points(cloud):\n    os._exit(1)\n"
    project.makepyfile(**{"tests/e2e/test_loyalty": crash})

    run = session(project, "--max-worker-restart", "0", "tests", workers=1)

    assert set(run.missing(MODULES)) == set(MODULES)
    assert "stopped before handing over its observations" in run.missing(MODULES)["tests/e2e/test_booking.py"]
