"""Policy variables (IAM User Guide, "IAM policy elements: Variables and tags")."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from iam_eval import ContextValue, Decision, Outcome, Principal, evaluate
from tests.unit.iam_eval.builders import (
    ACCOUNT,
    ADMIN_USER_ARN,
    BOOKING_QUEUE,
    BOOKING_TABLE,
    LOYALTY_TABLE,
    REGION,
    TABLE_PREFIX,
    allow,
    deny,
    loyalty_session,
    policy,
    request,
)

ALICE = Principal.user(ADMIN_USER_ARN)
OWN_TABLE = allow("dynamodb:GetItem", f"{TABLE_PREFIX}/home-${{aws:username}}", Sid="OwnTable")


def _decide(
    principal: Principal,
    resource: str,
    *statements: Mapping[str, object],
    version: str | None = "2012-10-17",
    context: Mapping[str, ContextValue] | None = None,
) -> Decision:
    return evaluate(
        request(principal, "dynamodb:GetItem", resource, context),
        identity_policies=[policy(*statements, version=version)],
    )


def test_variable_in_resource_is_replaced_by_the_request_value() -> None:
    # "When the policy is evaluated, the policy variables are replaced with values that come from
    # the context of the request itself."
    assert _decide(ALICE, f"{TABLE_PREFIX}/home-alice", OWN_TABLE).outcome is Outcome.ALLOW
    assert _decide(ALICE, f"{TABLE_PREFIX}/home-bob", OWN_TABLE).outcome is Outcome.IMPLICIT_DENY


def test_variable_in_condition_value_is_replaced_by_the_request_value() -> None:
    # "You can use a policy variable for Condition values in any condition that involves the string
    # operators or the ARN operators."
    statement = allow(
        "dynamodb:GetItem",
        "*",
        Condition={
            "StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"},
            "ArnLike": {"aws:SourceArn": "arn:aws:sqs:*:${aws:PrincipalAccount}:*"},
        },
    )
    own = {"aws:ResourceAccount": ACCOUNT, "aws:SourceArn": BOOKING_QUEUE}
    foreign = {"aws:ResourceAccount": "999999999999", "aws:SourceArn": BOOKING_QUEUE}

    assert _decide(loyalty_session(), "x", statement, context=own).outcome is Outcome.ALLOW
    assert _decide(loyalty_session(), "x", statement, context=foreign).outcome is Outcome.IMPLICIT_DENY


def test_variable_names_are_case_insensitive() -> None:
    # "Key names are case-insensitive. For example, aws:CurrentTime is equivalent to
    # AWS:currenttime."
    statement = allow("dynamodb:GetItem", f"{TABLE_PREFIX}/home-${{AWS:UserName}}")

    assert _decide(ALICE, f"{TABLE_PREFIX}/home-alice", statement).outcome is Outcome.ALLOW


# --- where a variable may stand in a Resource ARN ------------------------------------------------


def test_variable_after_the_fifth_colon_of_a_resource_is_substituted() -> None:
    # "You can use a policy variable in the Resource element, but only in the resource portion of
    # the ARN. This portion of the ARN appears after the fifth colon (:)." S3 ARNs leave region and
    # account empty, so there the variable may follow "s3:::" directly.
    queues = allow("dynamodb:GetItem", f"arn:aws:sqs:{REGION}:*:${{aws:username}}-queue")
    buckets = allow("dynamodb:GetItem", "arn:aws:s3:::${aws:username}-home/*")

    assert _decide(ALICE, f"arn:aws:sqs:{REGION}:{ACCOUNT}:alice-queue", queues).allowed
    assert not _decide(ALICE, f"arn:aws:sqs:{REGION}:{ACCOUNT}:bob-queue", queues).allowed
    assert _decide(ALICE, "arn:aws:s3:::alice-home/notes.txt", buckets).allowed
    assert not _decide(ALICE, "arn:aws:s3:::bob-home/notes.txt", buckets).allowed


@pytest.mark.parametrize(
    ("policy_resource", "variable", "resource_if_substituted"),
    [
        (
            f"arn:aws:dynamodb:{REGION}:${{aws:PrincipalAccount}}:table/*",
            "aws:PrincipalAccount",
            LOYALTY_TABLE,
        ),
        (
            f"arn:aws:dynamodb:${{aws:RequestedRegion}}:{ACCOUNT}:table/Loyalty",
            "aws:RequestedRegion",
            LOYALTY_TABLE,
        ),
        (
            f"arn:aws:${{aws:PrincipalTag/service}}:{REGION}:{ACCOUNT}:table/Loyalty",
            "aws:PrincipalTag/service",
            LOYALTY_TABLE,
        ),
        (
            f"arn:aws:dynamodb:{REGION}:${{*}}:table/Loyalty",
            "*",
            f"arn:aws:dynamodb:{REGION}:*:table/Loyalty",
        ),
    ],
    ids=["account", "region", "service", "escape"],
)
def test_variable_before_the_fifth_colon_of_a_resource_makes_the_entry_match_nothing(
    policy_resource: str, variable: str, resource_if_substituted: str
) -> None:
    # "You can't use a variable to replace parts of the ARN before the fifth colon, such as the
    # service or account." The variable is not substituted, its entry matches no resource (not
    # even its own text), and the statement's other entries still match: the policy is not void.
    statement = allow("dynamodb:GetItem", [policy_resource, BOOKING_TABLE], Sid="Misplaced")
    context = {"aws:RequestedRegion": REGION, "aws:PrincipalTag/service": "dynamodb"}

    substituted = _decide(loyalty_session(), resource_if_substituted, statement, context=context)
    literal = _decide(loyalty_session(), policy_resource, statement, context=context)
    other_entry = _decide(loyalty_session(), BOOKING_TABLE, statement, context=context)

    assert substituted.outcome is Outcome.IMPLICIT_DENY
    assert literal.outcome is Outcome.IMPLICIT_DENY
    assert other_entry.outcome is Outcome.ALLOW
    assert substituted.warnings == (
        f"identity policy #0 statement 'Misplaced': Resource {policy_resource!r} matches nothing: the "
        f"policy variable ${{{variable}}} comes before the fifth colon, outside the resource part of the ARN",
    )


def test_variable_before_the_fifth_colon_of_a_not_resource_makes_the_entry_exclude_nothing() -> None:
    # "You can't use a variable to replace parts of the ARN before the fifth colon". Under
    # NotResource an entry that matches no resource excludes no resource: a Deny meant to spare
    # the caller's own account's Loyalty table covers that table too.
    statements = (
        allow("dynamodb:GetItem", "*"),
        {
            "Effect": "Deny",
            "Action": "dynamodb:GetItem",
            "NotResource": f"arn:aws:dynamodb:{REGION}:${{aws:PrincipalAccount}}:table/Loyalty",
        },
    )

    assert _decide(loyalty_session(), LOYALTY_TABLE, *statements).outcome is Outcome.EXPLICIT_DENY


def test_variable_without_value_makes_the_statement_not_apply() -> None:
    # "not present means that the value is not in the current request information, and any
    # attempt to match it fails and causes the statement to be invalid" - a role session has no
    # aws:username.
    decision = _decide(loyalty_session(), f"{TABLE_PREFIX}/home-loyalty-get-fn", OWN_TABLE)

    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.warnings == (
        "identity policy #0 statement 'OwnTable' does not apply: "
        "policy variable ${aws:username} has no value in the request context",
    )


def test_variable_without_value_makes_a_deny_not_apply() -> None:
    # The same rule holds for Deny statements - which is why the guide recommends IfExists: "To
    # prevent variables from causing invalid statements, use the ...IfExists condition operator."
    statements = (
        allow("dynamodb:*", "*"),
        deny("dynamodb:*", "*", Condition={"StringNotEquals": {"aws:ResourceTag/owner": "${aws:username}"}}),
    )

    decision = _decide(loyalty_session(), f"{TABLE_PREFIX}/Loyalty", *statements)

    assert decision.outcome is Outcome.ALLOW
    assert len(decision.warnings) == 1


def test_variable_in_condition_without_value_invalidates_the_statement_whatever_the_clause_order() -> None:
    statement = allow(
        "dynamodb:GetItem",
        "*",
        Condition={
            "StringEquals": {"aws:PrincipalAccount": "000000000000"},
            "StringLike": {"aws:SourceArn": "${aws:SourceVpc}"},
        },
    )

    decision = _decide(loyalty_session(), "x", statement)

    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert "${aws:SourceVpc}" in decision.warnings[0]


def test_default_value_is_used_when_the_variable_has_no_value() -> None:
    # "To add a default value to a variable, surround the default value with single quotes (' '),
    # and separate the variable text and the default value with a comma and space (, )."
    statement = allow("dynamodb:GetItem", f"{TABLE_PREFIX}/home-${{aws:username, 'shared'}}")

    assert _decide(loyalty_session(), f"{TABLE_PREFIX}/home-shared", statement).outcome is Outcome.ALLOW
    assert _decide(ALICE, f"{TABLE_PREFIX}/home-alice", statement).outcome is Outcome.ALLOW
    assert _decide(ALICE, f"{TABLE_PREFIX}/home-shared", statement).outcome is Outcome.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("escaped", "literal", "other"),
    [("${*}", "*", "x"), ("${?}", "?", "x"), ("${$}", "$", "x")],
)
def test_special_character_variables_stand_for_the_literal_character(
    escaped: str, literal: str, other: str
) -> None:
    # "${*} - use where you need an * (asterisk) character", likewise ${?} and ${$}: the character
    # is matched literally instead of acting as a wildcard.
    statement = allow("dynamodb:GetItem", f"{TABLE_PREFIX}/odd{escaped}name")

    assert _decide(ALICE, f"{TABLE_PREFIX}/odd{literal}name", statement).outcome is Outcome.ALLOW
    assert _decide(ALICE, f"{TABLE_PREFIX}/odd{other}name", statement).outcome is Outcome.IMPLICIT_DENY


def test_variable_value_is_matched_literally_even_with_wildcard_characters() -> None:
    # A value substituted from the request is data, not pattern: an asterisk in it is no wildcard.
    statement = allow(
        "dynamodb:GetItem", "*", Condition={"StringLike": {"aws:PrincipalTag/prefix": "${aws:userid}"}}
    )

    assert _decide(
        ALICE, "x", statement, context={"aws:userid": "AIDA*", "aws:PrincipalTag/prefix": "AIDA*"}
    ).allowed
    assert not _decide(
        ALICE, "x", statement, context={"aws:userid": "AIDA*", "aws:PrincipalTag/prefix": "AIDAEXAMPLE"}
    ).allowed


def test_multivalued_key_cannot_be_a_policy_variable() -> None:
    # "You can use any available single-valued context key as a policy variable, but you can't use
    # a multivalued context key as a policy variable."
    statement = allow("dynamodb:GetItem", f"{TABLE_PREFIX}/${{aws:TagKeys}}")

    decision = _decide(ALICE, f"{TABLE_PREFIX}/team", statement, context={"aws:TagKeys": ["team"]})

    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.warnings


@pytest.mark.parametrize("version", ["2008-10-17", None], ids=["2008-10-17", "no-version"])
def test_variables_are_literal_text_in_the_2008_language(version: str | None) -> None:
    # "If you don't include the Version element and set it to an appropriate version date,
    # variables like ${aws:username} are treated as literal strings in the policy."
    literal_resource = f"{TABLE_PREFIX}/home-${{aws:username}}"

    assert _decide(ALICE, literal_resource, OWN_TABLE, version=version).outcome is Outcome.ALLOW
    assert (
        _decide(ALICE, f"{TABLE_PREFIX}/home-alice", OWN_TABLE, version=version).outcome
        is Outcome.IMPLICIT_DENY
    )
