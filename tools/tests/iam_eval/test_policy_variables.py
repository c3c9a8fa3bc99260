"""Policy variables (IAM User Guide, "IAM policy elements: Variables and tags")."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from iam_eval import ContextValue, Decision, Outcome, Principal, evaluate
from tests.iam_eval.builders import (
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
LOYALTY_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:loyalty"
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


# --- variables without a value ---------------------------------------------------------------------


def test_resource_entry_with_a_variable_without_value_matches_nothing_but_other_entries_match() -> None:
    # "If a variable that has no value in the authorization context is used as part of the
    # Resource or NotResource element of a policy, the resource that includes a policy variable
    # with no value will not match any resource." A role session has no aws:username.
    statement = allow("dynamodb:GetItem", [f"{TABLE_PREFIX}/home-${{aws:username}}", LOYALTY_TABLE])

    decision = _decide(loyalty_session(), f"{TABLE_PREFIX}/home-", statement)

    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert not _decide(loyalty_session(), f"{TABLE_PREFIX}/home-${{aws:username}}", statement).allowed
    assert _decide(loyalty_session(), LOYALTY_TABLE, statement).allowed
    assert decision.warnings == (
        f"identity policy #0 statement #0: Resource '{TABLE_PREFIX}/home-${{aws:username}}' matches "
        "nothing: policy variable ${aws:username} has no value in the request context",
    )


def test_not_resource_entry_with_a_variable_without_value_excludes_nothing() -> None:
    # "... used as part of the Resource or NotResource element of a policy, the resource that
    # includes a policy variable with no value will not match any resource." A Deny on every
    # table but the caller's own home table therefore denies every table to a caller without
    # aws:username, and spares the home table of a user.
    statements = (
        allow("dynamodb:GetItem", "*"),
        {
            "Effect": "Deny",
            "Action": "dynamodb:GetItem",
            "NotResource": f"{TABLE_PREFIX}/home-${{aws:username}}",
        },
    )

    assert _decide(loyalty_session(), f"{TABLE_PREFIX}/home-", *statements).outcome is Outcome.EXPLICIT_DENY
    assert _decide(ALICE, f"{TABLE_PREFIX}/home-alice", *statements).outcome is Outcome.ALLOW
    assert _decide(ALICE, LOYALTY_TABLE, *statements).outcome is Outcome.EXPLICIT_DENY


@pytest.mark.parametrize("operator", ["StringEquals", "StringLike", "StringEqualsIgnoreCase"])
def test_condition_value_with_a_variable_without_value_fails_but_other_values_match(operator: str) -> None:
    # "When you use a variable with no value in the condition element of an IAM policy, ...
    # Condition operators like StringEquals or StringLike do not match", for "There is no equal
    # or like value". Only that value fails: the other values for the key are still ORed with it.
    statement = allow(
        "dynamodb:GetItem",
        "*",
        Sid="OwnerOrShared",
        Condition={operator: {"aws:ResourceTag/owner": ["${aws:username}", "shared"]}},
    )

    shared = _decide(loyalty_session(), LOYALTY_TABLE, statement, context={"aws:ResourceTag/owner": "shared"})
    empty = _decide(loyalty_session(), LOYALTY_TABLE, statement, context={"aws:ResourceTag/owner": ""})
    literal = _decide(
        loyalty_session(), LOYALTY_TABLE, statement, context={"aws:ResourceTag/owner": "${aws:username}"}
    )

    assert shared.outcome is Outcome.ALLOW
    assert empty.outcome is Outcome.IMPLICIT_DENY
    assert literal.outcome is Outcome.IMPLICIT_DENY
    assert shared.warnings == (
        f"identity policy #0 statement 'OwnerOrShared': condition {operator} on aws:ResourceTag/owner: "
        "the value '${aws:username}' matches nothing: policy variable ${aws:username} has no value in "
        "the request context",
    )


@pytest.mark.parametrize(
    ("operator", "key", "request_value", "policy_value"),
    [
        ("StringNotEquals", "aws:ResourceTag/team", "loyalty", "${aws:PrincipalTag/team}"),
        ("StringNotLike", "aws:ResourceTag/team", "loyalty-eu", "${aws:PrincipalTag/team}-*"),
        ("StringNotEqualsIgnoreCase", "aws:ResourceTag/team", "Loyalty", "${aws:PrincipalTag/team}"),
        ("ArnNotEquals", "aws:SourceArn", LOYALTY_QUEUE, "arn:aws:sqs:*:*:${aws:PrincipalTag/team}"),
        ("ArnNotLike", "aws:SourceArn", LOYALTY_QUEUE, "arn:aws:sqs:*:*:${aws:PrincipalTag/team}*"),
    ],
)
def test_negated_operators_match_a_variable_without_value(
    operator: str, key: str, request_value: str, policy_value: str
) -> None:
    # "Inverted condition operators like StringNotEquals or StringNotLike do match against a null
    # value, as the value of the condition key they are testing against is not equal to or like
    # the effectively null value." The key is present; only the variable has no value.
    statement = allow("dynamodb:GetItem", "*", Condition={operator: {key: policy_value}})
    caller_without_tag = {key: request_value}
    caller_with_matching_tag = {key: request_value, "aws:PrincipalTag/team": "loyalty"}

    assert _decide(loyalty_session(), LOYALTY_TABLE, statement, context=caller_without_tag).allowed
    assert not _decide(loyalty_session(), LOYALTY_TABLE, statement, context=caller_with_matching_tag).allowed


def test_guide_deny_example_denies_a_caller_without_the_team_tag() -> None:
    # The IAM User Guide's own example: "aws:principaltag/Team must be equal to
    # s3:ExistingObjectTag/Team to allow access. Access is explicitly denied when
    # aws:principaltag/Team is not set."
    objects = "arn:aws:s3:::amzn-s3-demo-bucket/*"
    statements = (
        allow("s3:GetObject", objects),
        deny(
            "s3:GetObject",
            objects,
            Condition={"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}},
        ),
    )

    def get_object(context: Mapping[str, ContextValue]) -> Outcome:
        report = "arn:aws:s3:::amzn-s3-demo-bucket/report.csv"
        return evaluate(
            request(loyalty_session(), "s3:GetObject", report, context),
            identity_policies=[policy(*statements)],
        ).outcome

    yellow_object = {"s3:ExistingObjectTag/Team": "yellow"}
    assert get_object({**yellow_object, "aws:PrincipalTag/Team": "yellow"}) is Outcome.ALLOW
    assert get_object({**yellow_object, "aws:PrincipalTag/Team": "blue"}) is Outcome.EXPLICIT_DENY
    assert get_object(yellow_object) is Outcome.EXPLICIT_DENY
    # Neither tag: the condition key is absent, and "If the policy condition requires that the key
    # is not matched ... and the right key is not present, the condition is true."
    assert get_object({}) is Outcome.EXPLICIT_DENY


def test_absent_condition_key_is_decided_before_the_variable_is() -> None:
    # A missing condition key is not a missing variable value. "If the key that you specify in a
    # policy condition is not present in the request context, the values do not match and the
    # condition is false. If the policy condition requires that the key is not matched ... and the
    # right key is not present, the condition is true" - whether the variable has a value or not.
    equals = allow(
        "dynamodb:GetItem",
        "*",
        Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
    )
    not_equals = allow(
        "dynamodb:GetItem",
        "*",
        Condition={"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
    )
    tagged_caller = {"aws:PrincipalTag/team": "loyalty"}

    assert not _decide(loyalty_session(), LOYALTY_TABLE, equals, context=tagged_caller).allowed
    assert not _decide(loyalty_session(), LOYALTY_TABLE, equals).allowed
    assert _decide(loyalty_session(), LOYALTY_TABLE, not_equals, context=tagged_caller).allowed
    assert _decide(loyalty_session(), LOYALTY_TABLE, not_equals).allowed


def test_if_exists_is_true_for_an_absent_key_but_not_for_a_variable_without_value() -> None:
    # "To prevent variables from causing invalid statements, use the ...IfExists condition
    # operator": "If the key is not present, evaluate the condition element as true." IfExists
    # is about the condition key; a present key compared with a variable that has no value still
    # fails, as there is "no equal or like value".
    statement = allow(
        "dynamodb:GetItem",
        "*",
        Condition={"StringEqualsIfExists": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"}},
    )

    assert _decide(loyalty_session(), LOYALTY_TABLE, statement).allowed
    assert _decide(
        loyalty_session(),
        LOYALTY_TABLE,
        statement,
        context={"aws:RequestTag/team": "loyalty", "aws:PrincipalTag/team": "loyalty"},
    ).allowed
    assert not _decide(
        loyalty_session(), LOYALTY_TABLE, statement, context={"aws:RequestTag/team": "loyalty"}
    ).allowed


def test_default_value_is_used_when_the_variable_has_no_value() -> None:
    # "To add a default value to a variable, surround the default value with single quotes (' '),
    # and separate the variable text and the default value with a comma and space (, )." The
    # Guide's example: "For users without team tags, it sets a default value of company-wide".
    statement = allow(
        "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket-${aws:PrincipalTag/team, 'company-wide'}"
    )

    def get_bucket(bucket: str, context: Mapping[str, ContextValue] | None = None) -> bool:
        return evaluate(
            request(loyalty_session(), "s3:GetObject", f"arn:aws:s3:::{bucket}", context),
            identity_policies=[policy(statement)],
        ).allowed

    yellow = {"aws:PrincipalTag/team": "yellow"}
    assert get_bucket("amzn-s3-demo-bucket-yellow", yellow)
    assert not get_bucket("amzn-s3-demo-bucket-company-wide", yellow)
    assert get_bucket("amzn-s3-demo-bucket-company-wide")
    assert not get_bucket("amzn-s3-demo-bucket-yellow")


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
