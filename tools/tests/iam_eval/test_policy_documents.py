"""The shape of policy documents (IAM User Guide, "IAM JSON policy element reference" and
"Grammar of the IAM JSON policy language")."""

from __future__ import annotations

import pytest

from iam_eval import Outcome, PolicyError, evaluate
from tests.iam_eval.builders import (
    BOOKING_QUEUE,
    LOYALTY_ROLE_ARN,
    LOYALTY_TABLE,
    STATE_MACHINE,
    loyalty_session,
    request,
)


def _identity(document: dict[str, object]) -> Outcome:
    return evaluate(
        request(loyalty_session(), "dynamodb:GetItem", LOYALTY_TABLE), identity_policies=[document]
    ).outcome


def _resource(document: dict[str, object]) -> Outcome:
    return evaluate(
        request(loyalty_session(), "sqs:SendMessage", BOOKING_QUEUE),
        identity_policies=[],
        resource_policy=document,
    ).outcome


def test_statement_may_be_a_single_object_or_a_list() -> None:
    # The grammar: "statement" = <statement_block> | "[" <statement_block>, ... "]".
    statement = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": LOYALTY_TABLE}

    assert _identity({"Version": "2012-10-17", "Statement": statement}) is Outcome.ALLOW
    assert _identity({"Version": "2012-10-17", "Statement": [statement]}) is Outcome.ALLOW


def test_action_and_resource_may_be_a_string_or_a_list() -> None:
    # "You can specify multiple values for the Action element" and "You can specify multiple
    # resources."
    listed = {
        "Effect": "Allow",
        "Action": ["states:StartExecution", "dynamodb:GetItem"],
        "Resource": [STATE_MACHINE, LOYALTY_TABLE],
    }

    assert _identity({"Version": "2012-10-17", "Statement": listed}) is Outcome.ALLOW


def test_policy_id_names_the_policy_in_reasons() -> None:
    document = {
        "Version": "2012-10-17",
        "Id": "loyalty-read",
        "Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": LOYALTY_TABLE},
    }

    decision = evaluate(
        request(loyalty_session(), "dynamodb:GetItem", LOYALTY_TABLE), identity_policies=[document]
    )

    assert decision.reasons == ("allowed by identity policy #0 'loyalty-read' statement #0",)


ALLOW_READ = {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": LOYALTY_TABLE}


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        pytest.param(
            {"Action": "dynamodb:GetItem", "Resource": "*"}, "Effect is missing", id="missing-effect"
        ),
        pytest.param(
            {**ALLOW_READ, "Effect": "allow"}, "Effect must be Allow or Deny", id="lowercase-effect"
        ),
        pytest.param({**ALLOW_READ, "Effect": "Audit"}, "Effect must be Allow or Deny", id="unknown-effect"),
        pytest.param(
            {**ALLOW_READ, "NotAction": "iam:*"},
            "Action and NotAction cannot both be present",
            id="action-and-not",
        ),
        pytest.param(
            {"Effect": "Allow", "Resource": "*"},
            "one of Action or NotAction is required",
            id="neither-action",
        ),
        pytest.param(
            {**ALLOW_READ, "NotResource": "*"},
            "Resource and NotResource cannot both be present",
            id="resource-and-not",
        ),
        pytest.param(
            {"Effect": "Allow", "Action": "dynamodb:GetItem"},
            "one of Resource or NotResource is required in an identity-based policy",
            id="identity-without-resource",
        ),
        pytest.param(
            {**ALLOW_READ, "Principal": "*"},
            "cannot be used in an identity-based policy",
            id="identity-principal",
        ),
        pytest.param({**ALLOW_READ, "Action": []}, "Action must be a non-empty string", id="empty-action"),
        pytest.param(
            {**ALLOW_READ, "Resource": ["*", 3]}, "Resource must be a non-empty string", id="bad-resource"
        ),
        pytest.param({**ALLOW_READ, "Actions": "x"}, "unknown statement element", id="unknown-element"),
        pytest.param(
            {**ALLOW_READ, "Condition": ["StringEquals"]}, "Condition must be an object", id="bad-condition"
        ),
        pytest.param(
            {**ALLOW_READ, "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}},
            "'ten' is not a number",
            id="bad-number",
        ),
        pytest.param(
            {**ALLOW_READ, "Condition": {"DateLessThan": {"aws:CurrentTime": "yesterday"}}},
            "neither an ISO 8601 date/time nor epoch seconds",
            id="bad-date",
        ),
        pytest.param(
            {**ALLOW_READ, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}},
            "does not appear to be an IPv4 or IPv6 network",
            id="bad-network",
        ),
        pytest.param(
            {**ALLOW_READ, "Condition": {"Bool": {"aws:SecureTransport": "yes"}}},
            "'yes' is not true or false",
            id="bad-bool",
        ),
        pytest.param(
            {**ALLOW_READ, "Condition": {"Null": {"aws:TokenIssueTime": "maybe"}}},
            "Null condition on 'aws:TokenIssueTime' takes true or false",
            id="bad-null",
        ),
        pytest.param(
            {**ALLOW_READ, "Condition": {"StringEquals": {"aws:SourceVpc": []}}},
            "has no values",
            id="no-values",
        ),
        pytest.param(
            {**ALLOW_READ, "Condition": {"StringEquals": {"aws:SourceVpc": {"vpc": 1}}}},
            "not a scalar",
            id="nested-value",
        ),
    ],
)
def test_malformed_identity_statement_is_rejected_loudly(statement: dict[str, object], message: str) -> None:
    # IAM validates policies when they are stored; a malformed statement is a mistake to surface,
    # never a statement to skip.
    with pytest.raises(PolicyError, match=message):
        _identity({"Version": "2012-10-17", "Statement": [ALLOW_READ, {"Sid": "Broken", **statement}]})


def test_policy_error_names_the_policy_and_statement_and_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^identity policy #0 statement 'Broken': Effect is missing$"):
        _identity({"Version": "2012-10-17", "Statement": {"Sid": "Broken", "Action": "*", "Resource": "*"}})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param({"Version": "2012-10-17"}, "Statement must be", id="no-statement"),
        pytest.param({"Version": "2012-10-17", "Statement": []}, "Statement must be", id="empty-statement"),
        pytest.param(
            {"Version": "2012-10-17", "Statement": ["Allow"]}, "a statement must be an object", id="string"
        ),
        pytest.param({"Version": "2012-10-18", "Statement": ALLOW_READ}, "Version must be", id="bad-version"),
        pytest.param(
            {"Statement": ALLOW_READ, "Statements": []}, "unknown policy element", id="unknown-element"
        ),
    ],
)
def test_malformed_policy_document_is_rejected_loudly(document: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        _identity(document)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        pytest.param(
            {"Effect": "Allow", "Action": "sqs:SendMessage"},
            "needs Principal or NotPrincipal",
            id="no-principal",
        ),
        pytest.param(
            {"Effect": "Allow", "Principal": "*", "NotPrincipal": {"AWS": "*"}, "Action": "sqs:SendMessage"},
            "Principal and NotPrincipal cannot both be present",
            id="principal-and-not",
        ),
        pytest.param(
            {"Effect": "Allow", "Principal": {"IAM": LOYALTY_ROLE_ARN}, "Action": "sqs:SendMessage"},
            "unknown principal type",
            id="unknown-principal-type",
        ),
        pytest.param(
            {"Effect": "Allow", "Principal": "everyone", "Action": "sqs:SendMessage"},
            'Principal must be "\\*" or an object',
            id="principal-string",
        ),
        pytest.param(
            {"Effect": "Allow", "Principal": {"AWS": []}, "Action": "sqs:SendMessage"},
            "Principal.AWS must be a non-empty string",
            id="empty-aws",
        ),
    ],
)
def test_malformed_resource_statement_is_rejected_loudly(statement: dict[str, object], message: str) -> None:
    # "You must use the Principal element in resource-based policies."
    with pytest.raises(PolicyError, match=message):
        _resource({"Version": "2012-10-17", "Statement": statement})
