"""End-to-end tests against the local cloud: real HTTP endpoints, IAM enforced, functions in their
own processes under their own roles. They need ``sam build`` output (``make build``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from requests_aws4auth import AWS4Auth

from tests.support.audit import uses_of
from tests.support.invariants import assert_system_consistent
from tests.support.local_cloud import ACCOUNT_ID, Credentials, LocalCloud, prewarmed_cloud, sigv4
from tests.support.session import observations
from tests.support.template import REPOSITORY_ROOT

pytestmark = pytest.mark.local_cloud


@pytest.fixture(scope="module")
def cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """One local cloud per test module (the moto state is per process, so clouds never overlap).

    What the stack's roles did in it is kept for the least-privilege audit (``secaudit.audit``)."""
    require_build()
    with prewarmed_cloud().start() as running:
        yield running
        observations(request.config).observe(uses_of(running))


@pytest.fixture(scope="module")
def consistent_at_the_end(cloud: LocalCloud) -> Iterator[None]:
    """After a module's flows, the whole system must still be consistent (``tests.support.invariants``).

    Modules whose flows must settle consistently use it: ``pytestmark = pytest.mark.usefixtures(...)``."""
    yield
    assert_system_consistent(cloud)


def require_build() -> None:
    if not (REPOSITORY_ROOT / ".aws-sam" / "build" / "template.yaml").is_file():
        pytest.skip("the end-to-end tests run the built functions: run `make build` first")


def signed(credentials: Credentials) -> AWS4Auth:
    """SigV4 for the loyalty REST API with these credentials."""
    return sigv4(credentials, "execute-api")


ACCOUNT_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}
"""A trust policy naming the account: whoever the account's identity policies let assume the role."""


def create_role(cloud: LocalCloud, name: str, statements: list[dict[str, Any]]) -> tuple[str, Credentials]:
    """A same-account role with these statements, and credentials of a session of it."""
    iam = cloud.client("iam")
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(ACCOUNT_TRUST))["Role"][
        "Arn"
    ]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="statements",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return arn, cloud.directory.role_credentials(arn, f"{name}-session")


def create_principal(cloud: LocalCloud, name: str, actions: list[str], *, user: bool = False) -> Credentials:
    """A same-account role (or user) with ``actions`` on every resource: what an over-granted
    principal elsewhere in the account could do."""
    statements = [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
    if not user:
        return create_role(cloud, name, statements)[1]
    iam = cloud.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="broad",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], None)
