"""Timing a command: its wall time, and when it fails, its last lines for whoever reads the report."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.flow import FAILED_OUTPUT_LINES, make_test, time_command


def test_a_command_that_succeeds_is_timed_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timing = time_command([sys.executable, "-c", "print('quiet')"], cwd=tmp_path)

    assert timing.succeeded
    assert timing.seconds > 0
    assert capsys.readouterr().err == ""


def test_a_failed_command_shows_its_last_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "failing.py"
    script.write_text(
        "import sys\nfor n in range(100): print('line', n)\nsys.exit('the check that failed')\n",
        encoding="utf-8",
    )

    timing = time_command([sys.executable, str(script)], cwd=tmp_path)

    assert not timing.succeeded
    shown = capsys.readouterr().err.splitlines()
    assert "exited 1" in shown[0]
    assert shown[-1] == "the check that failed"
    assert len(shown) == 1 + FAILED_OUTPUT_LINES
    assert "line 99" in shown
    assert "line 40" not in shown


# A stand-in for `make`: keeps one new static answer where the static gate would (one file per answer
# under a two-letter directory), prints a target trace line and a duration line as make and pytest do.
FAKE_MAKE = """
import os, pathlib, sys
answers = pathlib.Path(os.environ["STATIC_GATE_CACHE"]) / "ab"
answers.mkdir(parents=True, exist_ok=True)
(answers / f"ab{len(list(answers.iterdir()))}.json").write_text("[]")
print("Makefile:120: target 'test' does not exist")
print("=============== slowest durations ===============")
print("1.50s call     tests/unit/test_x.py::test_x")
"""


def test_make_test_keeps_static_answers_where_it_is_told_and_counts_those_asked(tmp_path: Path) -> None:
    make = tmp_path / "make.py"
    make.write_text(FAKE_MAKE, encoding="utf-8")
    answers = tmp_path / "answers"

    first = make_test([sys.executable, str(make)], answers)
    again = make_test([sys.executable, str(make)], answers)

    assert first.succeeded
    assert (first.static_answers_kept_before, first.static_answers_asked) == (0, 1)
    assert (again.static_answers_kept_before, again.static_answers_asked) == (1, 1)
    assert [share.part for share in first.tiers] == ["tests/unit"]
