"""The machine the numbers were taken on: they mean little without it."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    cores: int
    cpu_model: str
    memory_gib: float | None
    python: str
    system: str
    load_average: tuple[float, float, float] | None
    """1, 5 and 15-minute load averages when the run started: other work on a shared machine."""
    taken_at: str


def describe(cpuinfo: Path = Path("/proc/cpuinfo"), meminfo: Path = Path("/proc/meminfo")) -> Machine:
    return Machine(
        cores=os.cpu_count() or 1,
        cpu_model=_cpu_model(cpuinfo) or platform.processor() or platform.machine(),
        memory_gib=_memory_gib(meminfo),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        system=f"{platform.system()} {platform.release()} ({platform.machine()})",
        load_average=os.getloadavg() if hasattr(os, "getloadavg") else None,
        taken_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _cpu_model(cpuinfo: Path) -> str | None:
    try:
        lines = cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name.strip() in {"model name", "Model", "cpu model"} and value.strip():
            return value.strip()
    return None


def _memory_gib(meminfo: Path) -> float | None:
    try:
        lines = meminfo.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / (1024 * 1024)
    return None
