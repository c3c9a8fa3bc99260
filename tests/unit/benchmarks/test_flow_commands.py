"""Timing a command: its wall time, and when it fails, its last lines for whoever reads the report."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.flow import FAILED_OUTPUT_LINES, time_command


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
