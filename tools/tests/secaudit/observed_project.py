"""A tiny project whose pytest sessions (pytester) the audit's observation recorder is tested on.

It has two observed tiers, tests/e2e and tests/attacks, whose ``cloud`` fixture reports one observed
use per module, exactly as the application's tiers do (tests/e2e/conftest.py), and a unit tier.

Its sessions load only the plugins what is tested here depends on: pytest's own, and pytest-xdist when
the session has workers. The installed plugins pytest would otherwise load (hypothesis, pytest-cov,
playwright) take no part in it, and cost every session, and every worker of one, their start-up:
hypothesis's alone re-imported the whole library under assertion rewriting in each session."""

from __future__ import annotations

import pytest

from secaudit.usage import Run, read

CONFTEST = """
from pathlib import Path

import pytest

from secaudit.pytest_support import audit_observations
from secaudit.usage import Use

ROOT = Path(__file__).parent


def pytest_configure(config):
    audit_observations(config, ROOT, ROOT / "observed.json")


@pytest.fixture(scope="module")
def cloud(request):
    yield
    module = request.module.__name__.rsplit(".", 1)[-1]
    audit_observations(request.config, ROOT, ROOT / "observed.json").observe(
        {Use("ReaderFunctionRole", "dynamodb:GetItem", module, True)}
    )
"""
BOOKING = """
def test_books(cloud):
    pass

def test_cancels(cloud):
    pass
"""
LOYALTY = """
def test_reads_points(cloud):
    pass
"""
ATTACK = """
def test_is_refused(cloud):
    pass
"""
MODULES = ("tests/attacks/test_forgery.py", "tests/e2e/test_booking.py", "tests/e2e/test_loyalty.py")


def observed_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The project, written into pytester's directory."""
    # Read by the session and, through the environment they inherit, by its xdist workers.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(CONFTEST)
    # Plain directories: a "tests" package would clash with the tools' own tests package.
    for directory in ("tests/e2e", "tests/attacks", "tests/unit"):
        (pytester.path / directory).mkdir(parents=True)
    pytester.makepyfile(
        **{
            "tests/e2e/test_booking": BOOKING,
            "tests/e2e/test_loyalty": LOYALTY,
            "tests/attacks/test_forgery": ATTACK,
            "tests/unit/test_rules": "def test_rule():\n    pass\n",
        }
    )
    return pytester


def pytest_run(project: pytest.Pytester, *arguments: str, workers: int = 0) -> pytest.RunResult:
    """A pytest session in this process; with ``workers``, its tests run in that many xdist workers."""
    parallel = ("-p", "xdist.plugin", "-n", str(workers)) if workers else ()
    return project.runpytest_inprocess("-p", "no:cacheprovider", *parallel, *arguments)


def session(project: pytest.Pytester, *arguments: str, workers: int = 0) -> Run:
    """The run that :func:`pytest_run` recorded."""
    pytest_run(project, *arguments, workers=workers)
    run, _ = read(project.path / "observed.json")
    return run
