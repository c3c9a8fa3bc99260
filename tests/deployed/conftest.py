"""Opt-in tests against a deployed stack.

Run them with credentials for the stack's account and the stack's name:

    AIRLINE_STACK_NAME=airline-dev make deployed-tests

For the loyalty API proof, deploy the stack with IntegrationTestPrincipalArn set to the role or user
you run the tests as, so the tests may assume the AppSync loyalty data-source role.

Without AIRLINE_STACK_NAME every test here is skipped. With it, the run has opted in: missing
credentials, a stack that cannot be read or a role that cannot be assumed FAIL the tests - a check
that did not run must not look like one that passed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
import pytest
from botocore.exceptions import BotoCoreError, ClientError
from requests_aws4auth import AWS4Auth

from tests.support.real_aws import original_environment

HOW_TO_RUN = (
    "deployed tests need AWS credentials and a stack: AIRLINE_STACK_NAME=airline-dev make deployed-tests"
)


@contextmanager
def _aws_environment(environment: Mapping[str, str]) -> Iterator[None]:
    """The suite replaced AWS settings with fake ones; put the caller's back while building a session."""
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(environment)
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


def connect(environment: Mapping[str, str]) -> DeployedStack:
    """The stack named by AIRLINE_STACK_NAME in ``environment``, read with that environment's credentials.

    Skips when AIRLINE_STACK_NAME is not set; fails when it is and the stack cannot be read.
    """
    stack_name = environment.get("AIRLINE_STACK_NAME")
    if not stack_name:
        pytest.skip(HOW_TO_RUN)
    with _aws_environment({name: value for name, value in environment.items() if name.startswith("AWS_")}):
        session = boto3.Session()
        credentials = session.get_credentials()
        if credentials is None:
            pytest.fail(f"AIRLINE_STACK_NAME is {stack_name} but no AWS credentials were found; {HOW_TO_RUN}")
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
        pytest.fail(f"cannot read stack {stack_name}: {error}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    return DeployedStack(name=stack_name, session=session, outputs=outputs)


@pytest.fixture(scope="session")
def deployed_stack() -> DeployedStack:
    return connect(original_environment())


def sigv4_auth(access_key: str, secret_key: str, token: str | None, region: str) -> AWS4Auth:
    return AWS4Auth(access_key, secret_key, region, "execute-api", session_token=token)


def loyalty_data_source_role_auth(stack: DeployedStack) -> AWS4Auth:
    """Signs as the AppSync loyalty data-source role; fails if the role cannot be assumed."""
    try:
        credentials = stack.session.client("sts").assume_role(
            RoleArn=stack.output("LoyaltyDataSourceRoleArn"),
            RoleSessionName="loyalty-boundary-test",
            DurationSeconds=900,
        )["Credentials"]
    except ClientError as error:
        pytest.fail(
            f"cannot assume the loyalty data-source role ({error.response['Error']['Code']}): deploy the "
            "test stack with IntegrationTestPrincipalArn=<the ARN you run the tests as>"
        )
    return sigv4_auth(
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
        stack.session.region_name,
    )
