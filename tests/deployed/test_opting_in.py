"""The deployed tier skips when it was not asked for and fails when it was asked for but cannot run.

These run in every test run (no AWS account): moto stands in for CloudFormation, and a botocore hook
for an STS that refuses the role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.deployed.conftest import DeployedStack, connect, loyalty_data_source_role_auth
from tests.support.stack import ACCOUNT_ID, REGION

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/airline-dev-LoyaltyDataSourceRole"


def stopped_by(call: Callable[[], object]) -> BaseException:
    """The skip or failure ``call`` raised. Not pytest.raises(pytest.fail.Exception): a skip would get
    through it and skip the test, and a skip that passes unnoticed is what these tests are about."""
    try:
        call()
    except BaseException as outcome:  # pytest's skip and fail are not Exceptions
        return outcome
    pytest.fail("the deployed tier went on")


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_without_a_stack_name_the_tier_is_skipped(aws: None) -> None:
    assert isinstance(stopped_by(lambda: connect(CREDENTIALS)), pytest.skip.Exception)


def test_a_stack_that_cannot_be_read_fails_the_tier(aws: None) -> None:
    outcome = stopped_by(lambda: connect({**CREDENTIALS, "AIRLINE_STACK_NAME": "airline-gone"}))

    assert isinstance(outcome, pytest.fail.Exception)
    assert "cannot read stack airline-gone" in str(outcome)


def test_a_readable_stack_is_connected_with_its_outputs(aws: None) -> None:
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="airline-dev",
        TemplateBody='{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},'
        ' "Outputs": {"LoyaltyDataSourceRoleArn": {"Value": "' + ROLE_ARN + '"}}}',
    )

    stack = connect({**CREDENTIALS, "AIRLINE_STACK_NAME": "airline-dev"})

    assert stack.outputs == {"LoyaltyDataSourceRoleArn": ROLE_ARN}


def test_a_role_that_cannot_be_assumed_fails_the_tier() -> None:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted"}}, "AssumeRole")

    session.events.register("before-call.sts.AssumeRole", refuse)
    stack = DeployedStack(name="airline-dev", session=session, outputs={"LoyaltyDataSourceRoleArn": ROLE_ARN})

    outcome = stopped_by(lambda: loyalty_data_source_role_auth(stack))

    assert isinstance(outcome, pytest.fail.Exception)
    assert "cannot assume the loyalty data-source role (AccessDenied)" in str(outcome)
    assert "IntegrationTestPrincipalArn" in str(outcome)
