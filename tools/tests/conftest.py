"""The tools' own tests: no test reaches a real AWS account; the static gate's tests need .tools/."""

from __future__ import annotations

import os

import pytest

from secaudit.pytest_support import skip_without_gate_tools
from stacktools.project import REGION

# Set before any boto3 session exists: a test that escapes its mock fails to authenticate.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
)
# pytester: the audit's observation recorder is tested on pytest sessions of its own.
pytest_plugins = ["pytester"]

for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(variable, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip_without_gate_tools(items)
