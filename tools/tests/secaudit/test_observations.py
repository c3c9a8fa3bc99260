"""What a test session records for the audit, and when the audit refuses to judge it.

Each test runs a pytest session of its own (pytester) on the tiny project of observed_project.py, in this
process; the sessions whose tests run in xdist workers are in test_observations_parallel.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit import audit
from secaudit.usage import Run, Use, read, write
from tests.secaudit.observed_project import MODULES, observed_project, pytest_run, session


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return observed_project(pytester, monkeypatch)


def test_a_whole_run_that_passes_is_complete(project: pytest.Pytester) -> None:
    pytest_run(project, "tests").assert_outcomes(passed=5)
    run, uses = read(project.path / "observed.json")

    assert run.complete
    assert run.modules == MODULES
    assert run.expected == MODULES
    assert {use.resource for use in uses} == {"test_booking", "test_loyalty", "test_forgery"}
    assert audit.partial_run_message(run, MODULES) is None


def test_a_failed_test_makes_its_module_missing(project: pytest.Pytester) -> None:
    project.makepyfile(**{"tests/e2e/test_loyalty": "def test_reads_points(cloud):\n    assert False\n"})

    run = session(project, "tests")

    assert not run.complete
    assert run.missing(MODULES) == {"tests/e2e/test_loyalty.py": "1 failed"}


def test_a_tier_left_out_is_missing(project: pytest.Pytester) -> None:
    run = session(project, "tests/e2e")

    assert run.missing(MODULES) == {"tests/attacks/test_forgery.py": "not collected"}


def test_one_module_alone_is_a_partial_run(project: pytest.Pytester) -> None:
    run = session(project, "tests/e2e/test_loyalty.py")

    message = audit.partial_run_message(run, MODULES)

    assert message is not None
    assert message.startswith(
        "partial run: only 1 of 3 modules of tests/e2e and tests/attacks ran and passed"
    )
    assert "tests/e2e/test_booking.py: not collected" in message
    assert "make pytest" in message
    assert "--write" not in message


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        (("-k", "not cancels"), "1 deselected"),
        (("tests/e2e/test_booking.py::test_books", "tests/e2e/test_loyalty.py", "tests/attacks"), None),
    ],
)
def test_a_module_whose_tests_were_not_all_asked_for_is_missing(
    project: pytest.Pytester, arguments: tuple[str, ...], why: str | None
) -> None:
    run = session(project, *(arguments if why is None else ("tests", *arguments)))

    assert run.missing(MODULES) == {
        "tests/e2e/test_booking.py": why or "only some of its tests were asked for"
    }


def test_a_skipped_test_makes_its_module_missing(project: pytest.Pytester) -> None:
    skipped = "import pytest\n\ndef test_is_refused(cloud):\n    pytest.skip('no build')\n"
    project.makepyfile(**{"tests/attacks/test_forgery": skipped})

    run = session(project, "tests")

    assert run.missing(MODULES) == {"tests/attacks/test_forgery.py": "1 skipped"}


def test_tests_stopped_early_did_not_run(project: pytest.Pytester) -> None:
    project.makepyfile(**{"tests/attacks/test_forgery": "def test_is_refused(cloud):\n    assert False\n"})

    run = session(project, "-x", "tests")

    assert run.missing(MODULES) == {
        "tests/attacks/test_forgery.py": "1 failed",
        "tests/e2e/test_booking.py": "2 did not run",
        "tests/e2e/test_loyalty.py": "1 did not run",
    }


def test_a_module_added_since_the_run_is_missing(project: pytest.Pytester) -> None:
    run = session(project, "tests")

    assert audit.partial_run_message(run, [*MODULES, "tests/e2e/test_new.py"]) is not None


def test_a_session_without_the_observed_tiers_writes_nothing(project: pytest.Pytester) -> None:
    pytest_run(project, "tests/unit").assert_outcomes(passed=1)

    assert not (project.path / "observed.json").exists()


class TestTheAuditsVerdict:
    """``python -m secaudit.audit`` on observations it must not judge: exit status 2, nothing written."""

    @pytest.fixture(autouse=True)
    def outputs(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        monkeypatch.setattr(audit, "DOCS_PATH", tmp_path / "docs" / "permissions.md")
        monkeypatch.setattr(audit, "REPORTS_PATH", tmp_path / "reports")
        return tmp_path

    def test_a_partial_run_is_refused_and_nothing_is_written(
        self, project: pytest.Pytester, outputs: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        session(project, "tests/e2e/test_loyalty.py")

        status = audit.main(["--usage", str(project.path / "observed.json"), "--write"])

        printed = capsys.readouterr()
        assert status == 2
        assert "partial run: only" in printed.err
        assert "tests/e2e/test_loyalty.py" not in printed.err.split("missing:", 1)[1]
        assert "--write" not in printed.err + printed.out
        assert not (outputs / "docs").exists()
        assert not (outputs / "reports").exists()

    def test_missing_observations_are_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert audit.main(["--usage", str(tmp_path / "observed.json")]) == 2
        assert "make pytest" in capsys.readouterr().err

    def test_observations_without_a_run_are_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        old = tmp_path / "observed.json"
        old.write_text('{"sources": ["test_booking_flows"], "uses": []}\n', encoding="utf-8")

        assert audit.main(["--usage", str(old)]) == 2
        assert "names no test run" in capsys.readouterr().err


def test_the_observations_round_trip(tmp_path: Path) -> None:
    run = Run("abc", "2030-01-01T00:00:00Z", MODULES[:2], {"tests/e2e/test_booking.py": "1 failed"}, MODULES)
    uses = {Use("ReaderFunctionRole", "dynamodb:GetItem", "${LedgerTable.Arn}", True)}

    write(uses, run, tmp_path / "observed.json")

    assert read(tmp_path / "observed.json") == (run, uses)
