"""Every role a service assumes for this stack says, in its trust policy, what that service may act
for: ``aws:SourceArn`` (the API, the state machine) and ``aws:SourceAccount``, the cross-service
confused deputy guard that AppSync and Step Functions document. Without it, any AppSync API or state
machine in the account (or, for some services, in any account) could be pointed at the role.

The roles of services that set no ``aws:SourceArn`` when they assume a role carry no condition, each
for the reason the audit writes beside them in docs/permissions.md."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.audit import SERVICES_WITHOUT_A_SOURCE
from tests.support.template import translate

SERVICES_THAT_NAME_THEIR_SOURCE = {"appsync.amazonaws.com", "states.amazonaws.com"}
ACCOUNT = {"Ref": "AWS::AccountId"}
THIS_API = {"Fn::GetAtt": ["GraphQLApi", "Arn"]}
THIS_STATE_MACHINE = {
    "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    ":stateMachine:${AWS::StackName}-booking"
}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    resources: dict[str, Any] = translate()["Resources"]
    return resources


def service_trusts(resources: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(role, service, trust statement) for every statement of every role that trusts a service."""
    found = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for statement in resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            if not isinstance(statement, dict) or "Principal" not in statement:
                continue  # an Fn::If that may add a statement: not a service's
            services = statement["Principal"].get("Service", [])
            for service in [services] if isinstance(services, str) else services:
                found.append((logical_id, service, statement))
    return found


def source_arn_of(statement: dict[str, Any]) -> tuple[str, Any]:
    conditions = statement.get("Condition", {})
    [(operator, value)] = [
        (operator, keys["aws:SourceArn"]) for operator, keys in conditions.items() if "aws:SourceArn" in keys
    ]
    return operator, value


def test_every_role_appsync_or_step_functions_assumes_names_its_source_and_account(
    resources: dict[str, Any],
) -> None:
    guarded = [trust for trust in service_trusts(resources) if trust[1] in SERVICES_THAT_NAME_THEIR_SOURCE]

    assert {role for role, _, _ in guarded} == {
        "LoyaltyDataSourceRole",
        "BookingDataSourceRole",
        "FlightReadRole",
        "BookingReadRole",
        "PaymentRegistrationRole",
        "GraphQLApiLoggingRole",
        "BookingStateMachineRole",
    }
    for role, _, statement in guarded:
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}, role
        operator, _ = source_arn_of(statement)
        assert operator in {"ArnEquals", "ArnLike"}, role


@pytest.mark.parametrize(
    "role",
    [
        "LoyaltyDataSourceRole",
        "BookingDataSourceRole",
        "FlightReadRole",
        "BookingReadRole",
        "PaymentRegistrationRole",
    ],
)
def test_a_data_source_role_admits_appsync_acting_for_this_api_only(
    resources: dict[str, Any], role: str
) -> None:
    [(_, _, statement)] = [trust for trust in service_trusts(resources) if trust[0] == role]

    assert source_arn_of(statement) == ("ArnEquals", THIS_API)


def test_the_logging_role_admits_this_accounts_apis_in_this_region(resources: dict[str, Any]) -> None:
    """The API names the logging role (LogConfig), so the role cannot name the API without a circular
    dependency; it admits the APIs of this account and region, and grants writes to this API's logs."""
    [(_, _, statement)] = [
        trust for trust in service_trusts(resources) if trust[0] == "GraphQLApiLoggingRole"
    ]

    assert source_arn_of(statement) == (
        "ArnLike",
        {"Fn::Sub": "arn:${AWS::Partition}:appsync:${AWS::Region}:${AWS::AccountId}:apis/*"},
    )


def test_the_state_machine_role_admits_step_functions_acting_for_the_booking_saga_only(
    resources: dict[str, Any],
) -> None:
    [(_, _, statement)] = [
        trust for trust in service_trusts(resources) if trust[0] == "BookingStateMachineRole"
    ]
    state_machine = resources["BookingStateMachine"]["Properties"]

    assert source_arn_of(statement) == ("ArnEquals", THIS_STATE_MACHINE)
    # The ARN is built from the name the state machine is given, so the two cannot drift apart.
    assert state_machine["StateMachineName"] == {"Fn::Sub": "${AWS::StackName}-booking"}
    assert state_machine["RoleArn"] == {"Fn::GetAtt": ["BookingStateMachineRole", "Arn"]}


def test_every_other_service_role_belongs_to_a_service_that_names_no_source(
    resources: dict[str, Any],
) -> None:
    services = {service for _, service, _ in service_trusts(resources)}
    unguarded = {
        service for _, service, statement in service_trusts(resources) if "Condition" not in statement
    }

    assert services <= SERVICES_THAT_NAME_THEIR_SOURCE | set(SERVICES_WITHOUT_A_SOURCE)
    assert unguarded <= set(SERVICES_WITHOUT_A_SOURCE)
