"""Action / NotAction and Resource / NotResource (IAM User Guide, "IAM JSON policy elements")."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from iam_eval import Outcome, evaluate
from tests.iam_eval.builders import (
    ACCOUNT,
    API_ARN,
    BOOKING_CUSTOMER_INDEX,
    BOOKING_QUEUE,
    BOOKING_TABLE,
    INGEST_FUNCTION,
    LOYALTY_GET_CUSTOMER_42,
    LOYALTY_GET_PATTERN,
    LOYALTY_ROLE_ARN,
    LOYALTY_TABLE,
    STATE_MACHINE,
    TABLE_PREFIX,
    allow,
    loyalty_session,
    policy,
    request,
)


def _outcome(action: str, resource: str, *statements: Mapping[str, object]) -> Outcome:
    return evaluate(
        request(loyalty_session(), action, resource), identity_policies=[policy(*statements)]
    ).outcome


@pytest.mark.parametrize("action", ["dynamodb:GetItem", "DynamoDB:getitem", "DYNAMODB:GETITEM"])
def test_action_names_are_case_insensitive(action: str) -> None:
    # "The prefix and the action name are case insensitive. For example, iam:ListAccessKeys is the
    # same as IAM:listaccesskeys."
    assert _outcome(action, LOYALTY_TABLE, allow("dynamodb:getItem", LOYALTY_TABLE)) is Outcome.ALLOW


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("dynamodb:Get*", "dynamodb:GetItem", Outcome.ALLOW),
        ("dynamodb:Get*", "dynamodb:BatchGetItem", Outcome.IMPLICIT_DENY),
        ("dynamodb:*", "dynamodb:Query", Outcome.ALLOW),
        ("dynamodb:*", "dax:Query", Outcome.IMPLICIT_DENY),
        ("*", "states:StartExecution", Outcome.ALLOW),
        ("dynamodb:*Item", "dynamodb:UpdateItem", Outcome.ALLOW),
        ("dynamodb:?etItem", "dynamodb:GetItem", Outcome.ALLOW),
        ("dynamodb:?etItem", "dynamodb:BatchGetItem", Outcome.IMPLICIT_DENY),
    ],
)
def test_action_wildcards_match_any_run_or_one_character(
    pattern: str, action: str, expected: Outcome
) -> None:
    # "You can also use wildcards (*) as part of the action name"; `?` stands for one character, as
    # it does everywhere else in the policy language.
    assert _outcome(action, "*", allow(pattern, "*")) is expected


def test_allow_with_not_action_matches_every_other_action() -> None:
    # "NotAction is an advanced policy element that explicitly matches everything except the
    # specified list of actions"; with Allow it grants all the other actions.
    statement = {"Effect": "Allow", "NotAction": ["iam:*", "sts:*"], "Resource": "*"}

    assert _outcome("dynamodb:PutItem", BOOKING_TABLE, statement) is Outcome.ALLOW
    assert _outcome("iam:CreateAccessKey", "*", statement) is Outcome.IMPLICIT_DENY
    assert _outcome("STS:AssumeRole", LOYALTY_ROLE_ARN, statement) is Outcome.IMPLICIT_DENY


def test_deny_with_not_action_denies_every_other_action() -> None:
    # With Deny, NotAction denies all actions except the listed ones.
    statements = (
        allow("*", "*"),
        {"Effect": "Deny", "NotAction": "dynamodb:Get*", "Resource": LOYALTY_TABLE},
    )

    assert _outcome("dynamodb:GetItem", LOYALTY_TABLE, *statements) is Outcome.ALLOW
    assert _outcome("dynamodb:DeleteTable", LOYALTY_TABLE, *statements) is Outcome.EXPLICIT_DENY
    assert _outcome("dynamodb:DeleteTable", BOOKING_TABLE, *statements) is Outcome.ALLOW


def test_resource_arns_are_case_sensitive() -> None:
    # Paraphrase: resource names such as DynamoDB table names are case-sensitive, so Resource ARNs
    # are compared exactly - only actions and condition key names ignore case.
    statement = allow("dynamodb:GetItem", f"{TABLE_PREFIX}/Loyalty")

    assert _outcome("dynamodb:GetItem", f"{TABLE_PREFIX}/Loyalty", statement) is Outcome.ALLOW
    assert _outcome("dynamodb:GetItem", f"{TABLE_PREFIX}/loyalty", statement) is Outcome.IMPLICIT_DENY


def test_question_mark_in_resource_matches_exactly_one_character() -> None:
    # "a question mark (?) represents any single character".
    statement = allow("sqs:SendMessage", f"arn:aws:sqs:eu-west-?:{ACCOUNT}:booking-confirmed")

    assert _outcome("sqs:SendMessage", BOOKING_QUEUE, statement) is Outcome.ALLOW
    assert _outcome("sqs:SendMessage", BOOKING_QUEUE.replace("eu-west-1", "eu-west-10"), statement) is (
        Outcome.IMPLICIT_DENY
    )


def test_star_in_resource_spans_slashes() -> None:
    # "An asterisk (*) represents any combination of characters", slashes included: one `*` covers
    # the path parameter of an execute-api ARN, and everything below a table.
    api = allow("execute-api:Invoke", LOYALTY_GET_PATTERN)
    whole_stage = allow("execute-api:Invoke", f"{API_ARN}/*")
    table_only = allow("dynamodb:Query", BOOKING_TABLE)
    table_and_indexes = allow("dynamodb:Query", f"{BOOKING_TABLE}*")

    assert _outcome("execute-api:Invoke", LOYALTY_GET_CUSTOMER_42, api) is Outcome.ALLOW
    assert _outcome("execute-api:Invoke", f"{API_ARN}/dev/GET/loyalty/a/b/get", api) is Outcome.ALLOW
    assert _outcome("execute-api:Invoke", f"{API_ARN}/dev/POST/loyalty/a/get", api) is Outcome.IMPLICIT_DENY
    assert _outcome("execute-api:Invoke", LOYALTY_GET_CUSTOMER_42, whole_stage) is Outcome.ALLOW
    assert _outcome("dynamodb:Query", BOOKING_CUSTOMER_INDEX, table_only) is Outcome.IMPLICIT_DENY
    assert _outcome("dynamodb:Query", BOOKING_CUSTOMER_INDEX, table_and_indexes) is Outcome.ALLOW


def test_star_in_resource_spans_colons() -> None:
    # A function ARN followed by `:*` covers its versions and aliases, whose ARNs add a colon.
    statement = allow("lambda:InvokeFunction", f"{INGEST_FUNCTION}:*")

    assert _outcome("lambda:InvokeFunction", f"{INGEST_FUNCTION}:live", statement) is Outcome.ALLOW
    assert _outcome("lambda:InvokeFunction", f"{INGEST_FUNCTION}:live:extra", statement) is Outcome.ALLOW
    assert _outcome("lambda:InvokeFunction", INGEST_FUNCTION, statement) is Outcome.IMPLICIT_DENY


def test_resource_star_matches_every_resource() -> None:
    # "you use the wildcard * in the Resource element" for actions that apply to all resources.
    assert (
        _outcome("states:StartExecution", STATE_MACHINE, allow("states:StartExecution", "*")) is Outcome.ALLOW
    )


def test_deny_with_not_resource_denies_every_other_resource() -> None:
    # "Using the NotResource element and "Effect": "Deny" in the same statement denies access to
    # all resources, for the services specified in the statement, that are not explicitly listed."
    # A Deny on everything but table A denies table B and leaves table A alone.
    table_a = f"{TABLE_PREFIX}/A"
    table_b = f"{TABLE_PREFIX}/B"
    statements = (
        allow("*", "*"),
        {"Effect": "Deny", "NotResource": table_a, "Action": "*"},
    )

    assert _outcome("dynamodb:GetItem", table_b, *statements) is Outcome.EXPLICIT_DENY
    assert _outcome("dynamodb:GetItem", table_a, *statements) is Outcome.ALLOW


def test_allow_with_not_resource_allows_every_other_resource() -> None:
    # "NotResource with "Effect": "Allow" allows all resources for the services in the statement,
    # that are not explicitly listed".
    statement = {
        "Effect": "Allow",
        "Action": "dynamodb:*",
        "NotResource": [LOYALTY_TABLE, f"{LOYALTY_TABLE}/*"],
    }

    assert _outcome("dynamodb:GetItem", BOOKING_TABLE, statement) is Outcome.ALLOW
    assert _outcome("dynamodb:GetItem", LOYALTY_TABLE, statement) is Outcome.IMPLICIT_DENY
    assert _outcome("dynamodb:Query", f"{LOYALTY_TABLE}/index/tier", statement) is Outcome.IMPLICIT_DENY


def test_resource_policy_statement_without_resource_covers_the_attached_resource() -> None:
    # A resource-based policy is attached to its resource; the IAM User Guide's SNS topic policy
    # example has no Resource element.
    topic_policy = policy(
        {"Effect": "Allow", "Principal": {"AWS": LOYALTY_ROLE_ARN}, "Action": "sqs:SendMessage"}
    )

    decision = evaluate(
        request(loyalty_session(), "sqs:SendMessage", BOOKING_QUEUE),
        identity_policies=[],
        resource_policy=topic_policy,
    )

    assert decision.outcome is Outcome.ALLOW
