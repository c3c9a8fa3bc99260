"""End-to-end tests against the local cloud: real HTTP endpoints, IAM enforced, functions in their
own processes under their own roles. They need ``sam build`` output (``make build``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from requests_aws4auth import AWS4Auth

from localcloud.cloud import REGION, LocalCloud
from localcloud.identity import Credentials
from secaudit.audit import USAGE_PATH
from secaudit.usage import Use, uses_of, write
from stacktools.template import REPOSITORY_ROOT

pytestmark = pytest.mark.local_cloud


_OBSERVED: set[Use] = set()
_SOURCES: set[str] = set()


@pytest.fixture(scope="module")
def cloud(request: pytest.FixtureRequest) -> Iterator[LocalCloud]:
    """One local cloud per test module (the moto state is per process, so clouds never overlap).

    What the stack's roles did in it is kept for the least-privilege audit (``secaudit.audit``)."""
    require_build()
    with LocalCloud().start() as running:
        yield running
        _OBSERVED.update(uses_of(running))
        _SOURCES.add(request.module.__name__.rsplit(".", 1)[-1])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _OBSERVED:
        write(_OBSERVED, _SOURCES, USAGE_PATH)


def require_build() -> None:
    if not (REPOSITORY_ROOT / ".aws-sam" / "build" / "template.yaml").is_file():
        pytest.skip("the end-to-end tests run the built functions: run `make build` first")


def signed(credentials: Credentials) -> AWS4Auth:
    """SigV4 for the loyalty REST API with these credentials."""
    return AWS4Auth(
        credentials.access_key_id,
        credentials.secret_access_key,
        REGION,
        "execute-api",
        session_token=credentials.session_token,
    )


@dataclass(frozen=True)
class Outsider:
    name: str
    credentials: Credentials


def create_principal(cloud: LocalCloud, name: str, actions: list[str], *, user: bool = False) -> Credentials:
    """A same-account role (or user) with ``actions`` on every resource: what an over-granted
    principal elsewhere in the account could do."""
    iam = cloud.client("iam")
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    )
    if user:
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="broad", PolicyDocument=policy)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"], None)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="broad", PolicyDocument=policy)
    return cloud.directory.role_credentials(arn, f"{name}-session")
