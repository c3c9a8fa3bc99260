"""Test-suite support for the static gate's tools, shared by the tools' tests and the application's."""

from __future__ import annotations

import pytest

from secaudit.static_gate import missing_tools


def skip_without_gate_tools(items: list[pytest.Item]) -> None:
    """Skip the tests marked ``static_gate``, naming the command that builds what they need."""
    missing = missing_tools()
    if not missing:
        return
    skip = pytest.mark.skip(
        reason=f"{', '.join(missing)} not installed: `make setup` builds .tools/sam and .tools/checkov"
    )
    for item in items:
        if item.get_closest_marker("static_gate") is not None:
            item.add_marker(skip)
