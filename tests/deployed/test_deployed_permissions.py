"""Checks on the deployed roles: AWS's own view of them.

* Access Analyzer validates every inline policy of every role of the stack (no errors, no security
  warnings, no suggestions);
* IAM's service last-accessed data shows each function role reaching exactly the services the
  audit expects (its data store or topic or queue, plus logs and X-Ray) and nothing else.

Run with ``AIRLINE_STACK_NAME=airline-dev make deployed-tests`` after the stack has served traffic (last
accessed data can take hours to appear; services never reached are then reported, not failed).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.deployed.conftest import DeployedStack

pytestmark = pytest.mark.deployed

EXPECTED_SERVICES = {
    "ReserveBookingFunction": {"dynamodb", "logs", "xray"},
    "ConfirmBookingFunction": {"dynamodb", "logs", "xray"},
    "CancelBookingFunction": {"dynamodb", "logs", "xray"},
    "CollectPaymentFunction": {"dynamodb", "logs", "xray"},
    "RefundPaymentFunction": {"dynamodb", "logs", "xray"},
    "NotifyBookingFunction": {"sns", "logs", "xray"},
    "IngestLoyaltyFunction": {"sqs", "dynamodb", "logs", "xray"},
    "GetLoyaltyFunction": {"dynamodb", "logs", "xray"},
}


def stack_roles(stack: DeployedStack) -> dict[str, str]:
    """Logical id -> role name, for every IAM role of the stack."""
    resources = stack.session.client("cloudformation").describe_stack_resources(StackName=stack.name)
    return {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for resource in resources["StackResources"]
        if resource["ResourceType"] == "AWS::IAM::Role"
    }


def test_access_analyzer_finds_nothing_in_the_roles_policies(deployed_stack: DeployedStack) -> None:
    iam = deployed_stack.session.client("iam")
    analyzer = deployed_stack.session.client("accessanalyzer")
    findings: list[str] = []
    for logical_id, role_name in stack_roles(deployed_stack).items():
        for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
            result = analyzer.validate_policy(
                policyDocument=json.dumps(document), policyType="IDENTITY_POLICY"
            )
            findings += [
                f"{logical_id}/{policy_name}: {finding['findingType']} {finding['issueCode']}"
                for finding in result["findings"]
            ]
    assert findings == []


def _last_accessed(iam: Any, role_arn: str) -> dict[str, Any]:
    job = iam.generate_service_last_accessed_details(Arn=role_arn)["JobId"]
    for _ in range(60):
        details = iam.get_service_last_accessed_details(JobId=job)
        if details["JobStatus"] != "IN_PROGRESS":
            return {service["ServiceNamespace"]: service for service in details["ServicesLastAccessed"]}
        time.sleep(1)
    pytest.fail(f"last-accessed job for {role_arn} did not finish")


def test_function_roles_reach_only_the_expected_services(deployed_stack: DeployedStack) -> None:
    iam = deployed_stack.session.client("iam")
    roles = stack_roles(deployed_stack)
    never_used: list[str] = []
    for function, expected in EXPECTED_SERVICES.items():
        role_arn = iam.get_role(RoleName=roles[f"{function}Role"])["Role"]["Arn"]
        services = _last_accessed(iam, role_arn)
        assert set(services) == expected, f"{function}: its policies reach {sorted(services)}"
        never_used += [
            f"{function}: {name}"
            for name, service in services.items()
            if not service.get("LastAuthenticated")
        ]
    if never_used:
        print("not (yet) accessed, per IAM:", ", ".join(never_used))
