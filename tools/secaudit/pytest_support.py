"""Test-suite support shared by the tools' tests and the application's: skipping the static gate's
tests when its tools are missing, and recording what the stack's roles did for the least-privilege
audit (``secaudit.audit``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from secaudit.usage import OBSERVED_TIERS, Run, Use, observed_modules, write

OBSERVATIONS_PLUGIN = "secaudit-observations"


def skip_without_gate_tools(items: list[pytest.Item]) -> None:
    """Skip the tests marked ``static_gate``, naming the command that builds what they need."""
    # Imported here, not above: the observations' plugin below is loaded by every pytest process of the
    # observed tiers (xdist workers too), and the static gate's imports (samtranslator) are not small.
    from secaudit.static_gate import missing_tools  # noqa: PLC0415

    missing = missing_tools()
    if not missing:
        return
    skip = pytest.mark.skip(
        reason=f"{', '.join(missing)} not installed: `make setup` builds .tools/sam and .tools/checkov"
    )
    for item in items:
        if item.get_closest_marker("static_gate") is not None:
            item.add_marker(skip)


class AuditObservations:
    """A pytest plugin: what the stack's roles did in the local clouds of the observed tiers, written
    with the session's :class:`~secaudit.usage.Run` when the session ends.

    The tiers' ``cloud`` fixtures hand what each local cloud saw to :meth:`observe` before stopping
    it. A module counts as run when the session collected every one of its tests and each of them
    passed: a test that failed, was skipped or was left out (``-k``, ``-m``, a ``module.py::test``
    argument, ``-x``) may not have made the calls the audit looks for.

    Under pytest-xdist each worker collects every test but runs only some, and its clouds see only
    its own modules: a worker hands what it collected and observed to the controller (its
    ``workeroutput``), which learns every outcome from the reports it receives and writes the one
    file. The plugin must then be registered in the controller too, by a conftest.py the controller
    loads (the root one).
    """

    def __init__(
        self, config: pytest.Config, root: Path, path: Path, tiers: Iterable[str] = OBSERVED_TIERS
    ) -> None:
        self._root = root.resolve()
        self._rootpath = config.rootpath
        self._path = path
        self._tiers = tuple(tiers)
        self._expected = observed_modules(self._root, self._tiers)
        self._uses: set[Use] = set()
        self._collected: dict[str, set[str]] = defaultdict(set)
        self._deselected: dict[str, int] = defaultdict(int)
        self._partly_asked: set[str] = set()
        self._outcomes: dict[str, str] = {}
        self._worker_of: dict[str, str] = {}
        self._lost_workers: set[str] = set()
        # `pytest tests/e2e/test_x.py::test_one` collects that module's test only, deselecting nothing.
        for argument in config.args:
            if "::" in argument:
                module = self._module(Path(config.invocation_params.dir) / argument.split("::", 1)[0])
                if module is not None:
                    self._partly_asked.add(module)

    def observe(self, uses: Iterable[Use]) -> None:
        """What a local cloud of the observed tiers saw the stack's roles do (``secaudit.usage.uses_of``)."""
        self._uses |= set(uses)

    def _module(self, path: Path) -> str | None:
        try:
            module = path.resolve().relative_to(self._root).as_posix()
        except ValueError:
            return None
        return module if module.startswith(tuple(f"{tier}/" for tier in self._tiers)) else None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            module = self._module(item.path)
            if module is not None:
                self._collected[module].add(item.nodeid)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            module = self._module(item.path)
            if module is not None:
                self._deselected[module] += 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Every test's outcome, observed tier or not: an xdist controller collects nothing itself and
        # learns which tests belong to the observed tiers only when the workers are done.
        worker = _worker_id(getattr(report, "node", None))
        if worker is not None:
            self._worker_of[report.nodeid] = worker
            # Known even if that worker never hands over what it collected.
            module = self._module(self._rootpath / report.nodeid.split("::", 1)[0])
            if module is not None:
                self._collected[module].add(report.nodeid)
        if report.failed:
            self._outcomes[report.nodeid] = "failed"
        elif report.skipped and self._outcomes.get(report.nodeid) != "failed":
            self._outcomes[report.nodeid] = "skipped"
        elif report.when == "call" and report.nodeid not in self._outcomes:
            self._outcomes[report.nodeid] = "passed"

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        """An xdist worker is done: add what it collected and observed. A worker that crashed hands
        over nothing: the calls made in the modules it ran are unknown, so those modules count as not run."""
        handed: dict[str, Any] | None = getattr(node, "workeroutput", {}).get(OBSERVATIONS_PLUGIN)
        if handed is None:
            worker = _worker_id(node)
            if worker is not None:
                self._lost_workers.add(worker)
            return
        self._uses |= {Use(**use) for use in handed["uses"]}
        for module, tests in handed["collected"].items():
            self._collected[module].update(tests)
        for module, count in handed["deselected"].items():
            # Every worker collects, and deselects, the same tests.
            self._deselected[module] = max(self._deselected[module], count)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[OBSERVATIONS_PLUGIN] = {
                "uses": [asdict(use) for use in self._uses],
                "collected": {module: sorted(tests) for module, tests in self._collected.items()},
                "deselected": dict(self._deselected),
            }
            return
        if not self._collected and not self._deselected:
            return
        run = Run(
            run_id=uuid.uuid4().hex,
            finished=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            modules=tuple(sorted(self._collected)),
            not_passed=self._not_passed(),
            expected=tuple(sorted(self._expected)),
        )
        write(self._uses, run, self._path)

    def _not_passed(self) -> dict[str, str]:
        reasons: dict[str, str] = {}
        for module in sorted(set(self._collected) | set(self._deselected)):
            tests = self._collected.get(module, set())
            counts = {
                outcome: sum(1 for test in tests if self._outcomes.get(test) == outcome)
                for outcome in ("failed", "skipped")
            }
            unfinished = sum(1 for test in tests if test not in self._outcomes)
            unobserved = sum(1 for test in tests if self._worker_of.get(test) in self._lost_workers)
            why = [f"{count} {outcome}" for outcome, count in counts.items() if count]
            if unfinished:
                why.append(f"{unfinished} did not run")
            if unobserved:
                why.append(f"{unobserved} ran in a worker that stopped before handing over its observations")
            if self._deselected.get(module):
                why.append(f"{self._deselected[module]} deselected")
            if module in self._partly_asked:
                why.append("only some of its tests were asked for")
            if why:
                reasons[module] = ", ".join(why)
        return reasons


def _worker_id(node: object) -> str | None:
    """The id of the pytest-xdist worker behind ``node`` (a report's or a stopped worker's), if any."""
    workerinput = getattr(node, "workerinput", None)
    return str(workerinput["workerid"]) if isinstance(workerinput, dict) else None


def audit_observations(config: pytest.Config, root: Path, path: Path) -> AuditObservations:
    """The session's :class:`AuditObservations`, registered the first time a tier asks for it."""
    plugin = config.pluginmanager.get_plugin(OBSERVATIONS_PLUGIN)
    if plugin is None:
        plugin = AuditObservations(config, root, path)
        config.pluginmanager.register(plugin, OBSERVATIONS_PLUGIN)
    assert isinstance(plugin, AuditObservations)
    return plugin
