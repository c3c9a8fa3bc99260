"""Test-wide settings: no test reaches a real AWS account or endpoint unless it asks for one.

The environment the suite started with is kept aside first: the opt-in deployed tests build their
sessions from it (see tests/deployed), everything else sees only fake credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import real_aws
from tests.support.coverage import coverage_controller
from tests.support.session import REGION, hands_tests_to_workers, observations

real_aws.remember_environment()

FIXTURES_PLUGIN = "tests.support.fixtures"
"""The suite's shared fixtures (a moto-backed stack built from the template, the in-process Lambda runner)."""

# Set before any boto3 session exists. Fake credentials: a test that escapes the mocks fails to
# authenticate instead of touching a real account.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "ServerlessAirline",
        "POWERTOOLS_SERVICE_NAME": "test",
    }
)
for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(variable, None)


def pytest_configure(config: pytest.Config) -> None:
    """The recorder of what the local clouds of tests/e2e and tests/attacks see, for the least-privilege
    audit (``secaudit.audit``). Registered here because under pytest-xdist the controller, which writes
    the workers' observations as one run, loads no other conftest.py."""
    observations(config)


LONGEST_FIRST = (
    "security",
    "browser",
    "e2e",
    "attacks",
    "statemachine",
    "component",
    "deployed",
    "unit",
    "template",
)
"""The tiers, those whose modules run longest first: the static gate's variants (one batch of linter runs),
then the tiers that start a local cloud per module, then the embedded-stack tiers, then the quick ones."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``--dist loadfile`` each worker takes the next module in this order when it is free: with the
    longest modules first, the quick ones at the end keep both workers busy until the run ends. The order
    of the tests within a module is unchanged."""
    tests_directory = Path(__file__).parent

    def tier_rank(item: pytest.Item) -> int:
        tier = item.path.relative_to(tests_directory).parts[0]
        return LONGEST_FIRST.index(tier) if tier in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=tier_rank)


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Iterator[None]:
    """Around every plugin's session start, pytest-cov's among them (7.1.0, pinned in requirements/dev.in).

    Before it, in a pytest-xdist worker: stop the coverage pytest-cov starts by mistake. Reading the
    worker's options, its plugin starts a controller's coverage, then at session start the worker's own,
    and never stops the first. Both then trace every call in the worker, and the first one's data is never
    saved (measured: 8 s of CPU more for one end-to-end module on one worker).

    After it, in every process that runs tests: register the shared fixtures. Not in pytest-xdist's
    controller, which runs no test - they import moto and the local cloud's seams, about 5 s of CPU it
    would spend alone before starting any worker (tests.support.session). And only once the process's
    coverage runs: they import the application's modules, whose top-level lines (imports, definitions)
    a worker's coverage would otherwise never see run."""
    config = session.config
    if getattr(config, "workerinput", None) is not None:
        controller = coverage_controller(config)
        if controller is not None and type(controller).__name__ == "DistMaster":
            controller.cov.stop()
    result = yield
    if not hands_tests_to_workers(config):
        config.pluginmanager.import_plugin(FIXTURES_PLUGIN)
    return result


NOT_MEASURED = ("e2e", "attacks", "browser", "security", "deployed")
"""The tiers that run none of src/ in the test process: the local cloud's tiers run the handlers in its
worker processes, the security tier runs the static tools, the deployed tests call AWS. Coverage
(``make pytest``'s ``--cov``) would trace only moto, the local cloud and the tools there - a third more
CPU for an end-to-end module run alone - and add nothing: the in-process tiers (unit, component, statemachine,
template) cover src/ by themselves, and the floor in pyproject.toml is checked on them."""


@pytest.fixture(scope="module", autouse=True)
def _coverage_paused_where_nothing_is_measured(request: pytest.FixtureRequest) -> Iterator[None]:
    """Coverage paused for a module of a tier in :data:`NOT_MEASURED` (set up before the module's own
    fixtures, such as its local cloud)."""
    tier = request.path.relative_to(Path(__file__).parent).parts[0]
    controller = coverage_controller(request.config)
    if tier not in NOT_MEASURED or controller is None or not controller.started:
        yield
        return
    controller.pause()
    try:
        yield
    finally:
        controller.resume()
