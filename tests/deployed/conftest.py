"""Opt-in tests against a deployed stack.

Run them with credentials for the stack's account and the stack's name:

    AIRLINE_STACK_NAME=airline-dev make deployed-tests

For the loyalty API proof, deploy the stack with IntegrationTestPrincipalArn set to the role or user
you run the tests as, so the tests may assume the AppSync loyalty data-source role.
Without AIRLINE_STACK_NAME or credentials, every test here is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.support.real_aws import original_environment

HOW_TO_RUN = (
    "deployed tests need AWS credentials and a stack: AIRLINE_STACK_NAME=airline-dev make deployed-tests"
)


@contextmanager
def _original_aws_environment() -> Iterator[None]:
    """The suite replaced AWS settings with fake ones; put the caller's back while building a session."""
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(original_environment())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass(frozen=True)
class DeployedStack:
    name: str
    session: boto3.Session
    outputs: dict[str, str]

    def output(self, key: str) -> str:
        if key not in self.outputs:
            pytest.fail(f"stack {self.name} has no output {key}: deploy the current template.yaml")
        return self.outputs[key]


@pytest.fixture(scope="session")
def deployed_stack() -> DeployedStack:
    stack_name = original_environment().get("AIRLINE_STACK_NAME")
    if not stack_name:
        pytest.skip(HOW_TO_RUN)
    with _original_aws_environment():
        session = boto3.Session()
        credentials = session.get_credentials()
        if credentials is None:
            pytest.skip(HOW_TO_RUN)
        frozen = credentials.get_frozen_credentials()
        session = boto3.Session(
            aws_access_key_id=frozen.access_key,
            aws_secret_access_key=frozen.secret_key,
            aws_session_token=frozen.token,
            region_name=session.region_name,
        )
    try:
        described = session.client("cloudformation").describe_stacks(StackName=stack_name)
    except (BotoCoreError, ClientError) as error:
        pytest.skip(f"cannot read stack {stack_name} ({error}); {HOW_TO_RUN}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    return DeployedStack(name=stack_name, session=session, outputs=outputs)
