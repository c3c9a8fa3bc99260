"""Test-wide settings: no test reaches a real AWS account or endpoint unless it asks for one.

The environment the suite started with is kept aside first: the opt-in deployed tests build their
sessions from it (see tests/deployed), everything else sees only fake credentials.
"""

from __future__ import annotations

import os

import pytest

from tests.support import real_aws
from tests.support.audit import USAGE_PATH, audit_observations
from tests.support.stack import REGION
from tests.support.template import REPOSITORY_ROOT

real_aws.remember_environment()

pytest_plugins = ["tests.support.fixtures"]

# Set before any boto3 session exists. Fake credentials: a test that escapes the mocks fails to
# authenticate instead of touching a real account.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "ServerlessAirline",
        "POWERTOOLS_SERVICE_NAME": "test",
    }
)
for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
    os.environ.pop(variable, None)


def pytest_configure(config: pytest.Config) -> None:
    """The recorder of what the local clouds of tests/e2e and tests/attacks see, for the least-privilege
    audit (``secaudit.audit``). Registered here because under pytest-xdist the controller, which writes
    the workers' observations as one run, loads no other conftest.py."""
    audit_observations(config, REPOSITORY_ROOT, USAGE_PATH)
