"""Everything one run of the suite measured: what the report is rendered from, and what is saved as JSON
next to it for comparing two runs."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.coldstart import ColdStart
from benchmarks.flow import CommandTiming, Level, TestTiming
from benchmarks.invocations import FunctionRuntime
from benchmarks.machine import Machine
from benchmarks.packages import Package
from benchmarks.pricing import Prices
from benchmarks.work import WorkResults


@dataclass
class Options:
    mode: str
    """"full", "quick" or "long"."""
    command: str
    """How to run this again, e.g. ``make bench``."""
    runs: int
    sections: list[str]
    functions: list[str] | None
    """The functions measured one by one (cold start, package); None: every function of the template."""
    booking_levels: list[int]
    bookings_per_client: int
    loyalty_levels: list[int]
    reads_per_reader: int
    history_sizes: list[int]
    warm_up: bool
    """Warm the functions' workers up before measuring the work per request (not in a quick run)."""
    startups: int


@dataclass
class Results:
    options: Options
    machine: Machine
    prices: Prices
    cold_starts: list[ColdStart] | None = None
    packages: list[Package] | None = None
    runtimes: list[FunctionRuntime] | None = None
    work: WorkResults | None = None
    booking_levels: list[Level] | None = None
    loyalty_levels: list[Level] | None = None
    startups: list[float] | None = None
    commands: list[CommandTiming] = field(default_factory=list)
    make_tests: list[TestTiming] = field(default_factory=list)
    """``make test``: with no static answers kept, then (a long run) again with those the first kept."""
    load_average_after: tuple[float, float, float] | None = None
    seconds: float = 0.0


def save_json(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(dataclasses.asdict(results), indent=1, default=_plain) + "\n", encoding="utf-8"
    )


def _plain(value: Any) -> Any:
    return str(value)
