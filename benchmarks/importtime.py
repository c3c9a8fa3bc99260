"""What ``python -X importtime`` says a process imported, and when.

Each line on stderr reads ``import time: <self us> | <cumulative us> | <indentation><module>``;
the indentation (two spaces per level) shows which import pulled which in. The probe writes a marker
line before it imports the handler's module and another before the first invocation, so each entry
belongs to a phase: the interpreter's own start-up, the handler's import (Lambda's init), or the first
invocation (imports made lazily, such as a boto3 client's on first use).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    STARTUP = "start-up"
    INIT = "init"
    INVOCATION = "first invocation"


MARKERS = {
    "benchmarks.probe: init": Phase.INIT,
    "benchmarks.probe: first invocation": Phase.INVOCATION,
}
"""Lines the probe writes to stderr when a phase begins."""

_LINE = re.compile(r"^import time:\s+(?P<self>\d+)\s+\|\s+(?P<cumulative>\d+)\s+\|(?P<name>\s*\S.*)$")


@dataclass(frozen=True)
class ImportEntry:
    module: str
    self_us: int
    cumulative_us: int
    """The module's own time plus everything it imported for the first time."""
    depth: int
    """0 for a module the probe (or the code it runs) imported directly; +1 per level of nesting."""
    phase: Phase


def parse(stderr: str) -> list[ImportEntry]:
    entries = []
    phase = Phase.STARTUP
    for line in stderr.splitlines():
        if line.strip() in MARKERS:
            phase = MARKERS[line.strip()]
            continue
        match = _LINE.match(line)
        if match is None:
            continue  # the header, or a log line of the function
        name = match["name"]
        stripped = name.lstrip(" ")
        entries.append(
            ImportEntry(
                module=stripped.strip(),
                self_us=int(match["self"]),
                cumulative_us=int(match["cumulative"]),
                depth=(len(name) - len(stripped) - 1) // 2,
                phase=phase,
            )
        )
    return entries


def heaviest(entries: list[ImportEntry], count: int = 10) -> list[ImportEntry]:
    """The ``count`` entries of the init and first invocation with the largest cumulative time
    (nested entries included, so a package and what it pulls in can both appear)."""
    measured = [entry for entry in entries if entry.phase is not Phase.STARTUP]
    return sorted(measured, key=lambda entry: entry.cumulative_us, reverse=True)[:count]


def total_us(entries: list[ImportEntry], phase: Phase) -> int:
    """All the time one phase spent importing: the sum of its top-level entries."""
    return sum(entry.cumulative_us for entry in entries if entry.depth == 0 and entry.phase is phase)
