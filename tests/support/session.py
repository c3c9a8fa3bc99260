"""What the suite's root conftest.py needs in every pytest process, pytest-xdist's controller included.

The controller runs no test: it loads the root conftest.py, then starts the workers, each of which loads
it again and collects the tests. Whatever this module imports the controller imports first, alone, before
any worker starts - so only light modules here (moto, boto3 and the tools' policy machinery are seconds
of start-up, which the workers pay when their tests need them)."""

from __future__ import annotations

import pytest

from secaudit.pytest_support import AuditObservations, audit_observations
from secaudit.usage import USAGE_PATH
from stacktools.project import REGION, REPOSITORY_ROOT

__all__ = ["REGION", "hands_tests_to_workers", "observations"]


def observations(config: pytest.Config) -> AuditObservations:
    """What the stack's roles do in the local clouds of tests/e2e and tests/attacks, written to
    reports/observed-access.json with the run's record when the session ends (``secaudit.audit``).
    Registered by the root conftest.py, in every process: under pytest-xdist the controller writes the
    workers' observations as one run."""
    return audit_observations(config, REPOSITORY_ROOT, USAGE_PATH)


def hands_tests_to_workers(config: pytest.Config) -> bool:
    """Whether this process is pytest-xdist's controller, which collects and runs no test itself: tests are
    distributed (``-n`` with a ``--dist`` mode) and this is not one of the workers. Collecting only, or
    listing the fixtures, the controller does it itself."""
    if hasattr(config, "workerinput"):
        return False
    option = config.option
    distributed = getattr(option, "dist", "no") != "no" and bool(getattr(option, "tx", None))
    listing = option.collectonly or option.showfixtures or option.show_fixtures_per_test
    return distributed and not listing
