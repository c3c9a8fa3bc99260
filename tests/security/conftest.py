"""Security checks on the checks: the variants the static gate must (or cannot) catch, and the CI deploy
role.

Tests marked ``static_gate`` run the linters from the tool environments (.tools/sam, .tools/checkov).
Where those are missing the tests are skipped with the command that builds them; CI builds them first.
"""

from __future__ import annotations

import pytest

from tests.support.audit import skip_without_gate_tools


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "static_gate: runs cfn-lint, checkov, parliament, sam validate from .tools/ (`make setup` builds it)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip_without_gate_tools(items)
