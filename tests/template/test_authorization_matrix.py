"""The authorization matrix, offline from template.yaml: only the intended cells are allowed, and the
changes that would open the loyalty API, the loyalty queue or the booking topic (which no linter
notices) show up as unexpected cells. The intended cells are written here, not read from the module
that computes the matrix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.audit import (
    ANONYMOUS,
    OUTSIDER_ROLE,
    OUTSIDER_USER,
    Cell,
    StackPolicies,
    allowed_cells,
    decide,
    intended,
    matrix,
    stack_policies,
)
from tests.support.template import project_template

FUNCTIONS = (
    "ReserveBookingFunction",
    "CollectPaymentFunction",
    "ConfirmBookingFunction",
    "NotifyBookingFunction",
    "RefundPaymentFunction",
    "CancelBookingFunction",
    "IngestLoyaltyFunction",
    "GetLoyaltyFunction",
)
SAGA_STEPS = FUNCTIONS[:6]
OUTSIDERS = ("outsider-role", "outsider-user")

INTENDED = {
    # The loyalty API: one principal, one route, one stage.
    ("LoyaltyDataSourceRole", "execute-api:Invoke", "GET dev/loyalty/{customer}/get"),
    # The loyalty queue: SNS for the booking topic sends; IngestLoyalty receives and deletes.
    ("sns.amazonaws.com for BookingTopic", "sqs:SendMessage", "LoyaltyQueue"),
    ("IngestLoyaltyFunctionRole", "sqs:ReceiveMessage", "LoyaltyQueue"),
    ("IngestLoyaltyFunctionRole", "sqs:DeleteMessage", "LoyaltyQueue"),
    # Its dead-letter queue: SNS for the booking topic sends; operators (identity policies) read it.
    ("sns.amazonaws.com for BookingTopic", "sqs:SendMessage", "LoyaltyDeadLetterQueue"),
    *(
        (outsider, action, "LoyaltyDeadLetterQueue")
        for outsider in OUTSIDERS
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue")
    ),
    # The booking topic: NotifyBooking publishes; nobody subscribes anything but the loyalty queue.
    ("NotifyBookingFunctionRole", "sns:Publish", "BookingTopic"),
    # The alarm topic: CloudWatch publishes for the stack's alarms, nobody else; operators (identity
    # policies) subscribe their endpoints.
    ("cloudwatch.amazonaws.com for an alarm of the stack", "sns:Publish", "AlarmTopic"),
    *((outsider, "sns:Subscribe", "AlarmTopic") for outsider in OUTSIDERS),
    # The functions: the saga's steps by the state machine, GetLoyalty by API Gateway for the loyalty
    # API; and, since a function policy cannot deny, whoever the account grants lambda:InvokeFunction.
    *(("BookingStateMachineRole", "lambda:InvokeFunction", step) for step in SAGA_STEPS),
    ("apigateway.amazonaws.com for LoyaltyApi", "lambda:InvokeFunction", "GetLoyaltyFunction"),
    *((outsider, "lambda:InvokeFunction", function) for outsider in OUTSIDERS for function in FUNCTIONS),
    # The state machine: no resource policy; the booking data source starts it, and so does whoever
    # the account grants states:*.
    ("BookingDataSourceRole", "states:StartExecution", "BookingStateMachine"),
    *(
        (outsider, action, "BookingStateMachine")
        for outsider in OUTSIDERS
        for action in ("states:StartExecution", "states:StartSyncExecution", "states:StopExecution")
    ),
}


@pytest.fixture(scope="module")
def policies() -> StackPolicies:
    return stack_policies()


def variant(change: Callable[[dict[str, Any]], None]) -> StackPolicies:
    template = copy.deepcopy(project_template())
    change(template)
    return stack_policies(template)


def cells(found: set[Cell]) -> set[tuple[str, str, str]]:
    return {(cell.caller, cell.action, cell.target) for cell in found}


def unexpected(policies: StackPolicies) -> set[tuple[str, str, str]]:
    return cells(allowed_cells(decide(policies))) - INTENDED


def test_only_the_intended_cells_are_allowed(policies: StackPolicies) -> None:
    decisions = decide(policies)

    assert cells(allowed_cells(decisions)) == INTENDED
    assert cells(intended(policies)) == INTENDED
    assert len(decisions) > 1000


def test_every_resource_with_a_resource_policy_is_in_the_matrix(policies: StackPolicies) -> None:
    targets = {target.resource for target in matrix.targets(policies)} - {"functions"}
    functions = {target.label for target in matrix.targets(policies) if target.resource == "functions"}

    assert set(policies.resource_policies()) - set(FUNCTIONS) <= targets
    assert targets == {
        "LoyaltyApi",
        "LoyaltyQueue",
        "LoyaltyDeadLetterQueue",
        "BookingTopic",
        "AlarmTopic",
        "BookingStateMachine",
    }
    assert functions == set(FUNCTIONS)


def test_the_checked_in_matrix_document_is_up_to_date(policies: StackPolicies) -> None:
    decisions = decide(policies)
    generated = matrix.document(policies, decisions, intended(policies))

    assert matrix.DOCS_PATH.read_text(encoding="utf-8") == generated, (
        "docs/authorization-matrix.md is out of date: run `python -m secaudit.matrix --write`"
    )


def test_dropping_the_queue_policys_deny_lets_the_account_mint_points() -> None:
    def drop_deny(template: dict[str, Any]) -> None:
        statements = template["Resources"]["LoyaltyQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
        statements[:] = [s for s in statements if s["Sid"] != "DenySendersOtherThanTheBookingTopic"]

    opened = unexpected(variant(drop_deny))

    assert (OUTSIDER_ROLE, "sqs:SendMessage", "LoyaltyQueue") in opened
    assert (OUTSIDER_USER, "sqs:SendMessage", "LoyaltyQueue") in opened
    assert ("NotifyBookingFunctionRole", "sqs:SendMessage", "LoyaltyQueue") not in opened


def test_dropping_the_topic_policys_deny_lets_the_account_mint_points() -> None:
    def drop_deny(template: dict[str, Any]) -> None:
        statements = template["Resources"]["BookingTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        statements[:] = [s for s in statements if s["Effect"] != "Deny"]

    opened = unexpected(variant(drop_deny))

    assert (OUTSIDER_ROLE, "sns:Publish", "BookingTopic") in opened
    assert (OUTSIDER_USER, "sns:Subscribe", "BookingTopic") in opened


def test_dropping_the_alarm_topics_deny_lets_the_account_forge_alarms() -> None:
    def drop_deny(template: dict[str, Any]) -> None:
        statements = template["Resources"]["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        statements[:] = [s for s in statements if s["Effect"] != "Deny"]

    opened = unexpected(variant(drop_deny))

    assert (OUTSIDER_ROLE, "sns:Publish", "AlarmTopic") in opened
    assert (OUTSIDER_USER, "sns:Publish", "AlarmTopic") in opened


def test_letting_any_alarm_publish_is_caught() -> None:
    def any_alarm(template: dict[str, Any]) -> None:
        statements = template["Resources"]["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        for statement in statements:
            del statement["Condition"]
        statements[:] = [s for s in statements if s["Effect"] != "Deny"]

    opened = unexpected(variant(any_alarm))

    assert ("cloudwatch.amazonaws.com for another alarm", "sns:Publish", "AlarmTopic") in opened


def test_letting_another_topic_deliver_is_caught() -> None:
    def any_topic(template: dict[str, Any]) -> None:
        statements = template["Resources"]["LoyaltyQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
        for statement in statements:
            if statement["Sid"] == "BookingTopicDeliversConfirmedBookings":
                del statement["Condition"]
        statements[:] = [s for s in statements if s["Sid"] != "DenySendersOtherThanTheBookingTopic"]

    opened = unexpected(variant(any_topic))

    assert ("sns.amazonaws.com for another topic", "sqs:SendMessage", "LoyaltyQueue") in opened


def test_the_loyalty_route_is_refused_to_every_other_role_and_outsider(policies: StackPolicies) -> None:
    decisions = decide(policies)
    route = "GET dev/loyalty/{customer}/get"
    refused = {
        cell.caller for cell, decision in decisions.items() if cell.target == route and not decision.allowed
    }

    assert {OUTSIDER_ROLE, OUTSIDER_USER, ANONYMOUS} <= refused
    assert set(policies.roles) - {"LoyaltyDataSourceRole"} <= refused
    assert decisions[Cell(OUTSIDER_ROLE, "execute-api:Invoke", route)].outcome.name == "EXPLICIT_DENY"


def test_removing_the_apis_deny_opens_it_to_over_granted_principals() -> None:
    def drop_deny(template: dict[str, Any]) -> None:
        policy = template["Resources"]["LoyaltyApi"]["Properties"]["Auth"]["ResourcePolicy"]
        policy["CustomStatements"] = [s for s in policy["CustomStatements"] if s["Effect"] != "Deny"]

    opened = variant(drop_deny)
    unexpected = allowed_cells(decide(opened)) - intended(opened)

    assert Cell(OUTSIDER_ROLE, "execute-api:Invoke", "GET dev/loyalty/{customer}/get") in unexpected
    assert Cell(OUTSIDER_USER, "execute-api:Invoke", "DELETE prod/loyalty") in unexpected


def test_widening_the_appsync_grant_to_every_route_is_caught() -> None:
    def widen(template: dict[str, Any]) -> None:
        statement = template["Resources"]["LoyaltyDataSourcePolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ][0]
        statement["Resource"] = {
            "Fn::Sub": "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${LoyaltyApi}/*/*/*"
        }

    widened = variant(widen)
    unexpected = allowed_cells(decide(widened)) - intended(widened)

    assert (
        Cell("LoyaltyDataSourceRole", "execute-api:Invoke", "POST dev/loyalty/{customer}/get") in unexpected
    )
    assert (
        Cell("LoyaltyDataSourceRole", "execute-api:Invoke", "GET prod/loyalty/{customer}/get") in unexpected
    )


def test_an_allow_only_resource_policy_does_not_keep_out_the_account() -> None:
    """What the archived sample would have needed to learn: without the Deny, the Allow alone still
    lets in any same-account principal whose own policy allows execute-api:Invoke."""

    def allow_only(template: dict[str, Any]) -> None:
        drop = template["Resources"]["LoyaltyApi"]["Properties"]["Auth"]["ResourcePolicy"]
        drop["CustomStatements"] = [s for s in drop["CustomStatements"] if s["Effect"] == "Allow"]

    opened = variant(allow_only)
    decisions = decide(opened)

    assert decisions[Cell(OUTSIDER_ROLE, "execute-api:Invoke", "GET dev/loyalty/{customer}/get")].allowed
    assert not decisions[Cell(ANONYMOUS, "execute-api:Invoke", "GET dev/loyalty/{customer}/get")].allowed
