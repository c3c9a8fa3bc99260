"""pytest-cov as the test suite sees it (``make pytest`` runs with ``--cov``)."""

from __future__ import annotations

from typing import Any

import pytest


def coverage_controller(config: pytest.Config) -> Any | None:
    """pytest-cov's controller in this process, or None when coverage is not measured (no ``--cov``)."""
    plugin = config.pluginmanager.getplugin("_cov")
    return getattr(plugin, "cov_controller", None)
