"""Security checks on the checks: the static gate's tools, the variants they must (or cannot) catch, and
the CI deploy role.

Tests marked ``static_gate`` run the linters from the tool environments (.tools/sam, .tools/checkov).
Where those are missing the tests are skipped with the command that builds them; CI builds them first.
"""

from __future__ import annotations

import pytest

from secaudit.static_gate import CHECKOV_ENV, SAM_ENV

TOOLS = {
    SAM_ENV / "bin" / "cfn-lint": "cfn-lint",
    SAM_ENV / "bin" / "sam": "sam",
    CHECKOV_ENV / "bin" / "checkov": "checkov",
    CHECKOV_ENV / "bin" / "parliament": "parliament",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "static_gate: runs cfn-lint, checkov, parliament, sam validate from .tools/ (`make setup` builds it)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = sorted(name for path, name in TOOLS.items() if not path.exists())
    if not missing:
        return
    skip = pytest.mark.skip(
        reason=f"{', '.join(missing)} not installed: `make setup` builds .tools/sam and .tools/checkov"
    )
    for item in items:
        if item.get_closest_marker("static_gate") is not None:
            item.add_marker(skip)
