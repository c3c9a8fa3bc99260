"""How the suite's pytest processes start (tests/conftest.py, tests.support.session): pytest-xdist's
controller, which runs no test, loads neither moto nor the local cloud before starting the workers."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.session import hands_tests_to_workers
from tests.support.template import REPOSITORY_ROOT

HEAVY_MODULES = ("moto", "boto3", "localcloud.moto_seams", "secaudit.policies", "tests.support.fixtures")


def config(*, worker: bool = False, **options: Any) -> Any:
    defaults = {
        "dist": "loadfile",
        "tx": ["popen", "popen"],
        "collectonly": False,
        "showfixtures": False,
        "show_fixtures_per_test": False,
    }
    namespace = SimpleNamespace(option=SimpleNamespace(**{**defaults, **options}))
    if worker:
        namespace.workerinput = {"workerid": "gw0"}
    return namespace


def test_the_xdist_controller_hands_the_tests_to_its_workers() -> None:
    assert hands_tests_to_workers(config())


@pytest.mark.parametrize(
    "runs_tests",
    [
        config(worker=True),
        config(dist="no", tx=[]),
        config(dist="loadfile", tx=[]),
        config(collectonly=True),
        config(showfixtures=True),
        config(show_fixtures_per_test=True),
    ],
    ids=["a worker", "no xdist", "no workers", "collect only", "fixtures", "fixtures per test"],
)
def test_every_other_process_collects_the_tests_itself(runs_tests: Any) -> None:
    assert not hands_tests_to_workers(runs_tests)


def test_the_root_conftest_imports_nothing_heavy() -> None:
    # In a fresh interpreter: this one has imported everything already.
    probe = (
        "import sys, tests.conftest; "
        f"print(','.join(name for name in {HEAVY_MODULES!r} if name in sys.modules))"
    )
    loaded = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", probe], cwd=REPOSITORY_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
