"""The Condition element (IAM User Guide, "Condition operators", "Conditions with multiple context
keys or values", "Single-valued vs. multivalued context keys")."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from iam_eval import ContextValue, Decision, Outcome, evaluate
from tests.iam_eval.builders import (
    ACCOUNT,
    BOOKING_TABLE,
    BOOKING_TOPIC,
    INGEST_FUNCTION,
    allow,
    deny,
    loyalty_session,
    policy,
    request,
)


def _decide(
    condition: Mapping[str, object], context: Mapping[str, ContextValue], effect: str = "Allow"
) -> Decision:
    statements: list[dict[str, object]] = [
        allow("dynamodb:PutItem", BOOKING_TABLE, Sid="Conditional", Condition=condition)
    ]
    if effect == "Deny":
        statements = [
            allow("dynamodb:PutItem", BOOKING_TABLE),
            deny("dynamodb:PutItem", BOOKING_TABLE, Condition=condition),
        ]
    return evaluate(
        request(loyalty_session(), "dynamodb:PutItem", BOOKING_TABLE, context),
        identity_policies=[policy(*statements)],
    )


def _holds(condition: Mapping[str, object], context: Mapping[str, ContextValue]) -> bool:
    """Whether the condition is true: an Allow statement carrying it grants the request."""
    return _decide(condition, context).allowed


# --- combining operators, keys and values -------------------------------------------------------


def test_condition_operators_are_anded() -> None:
    # "If your policy statement has multiple condition operators, the condition operators are
    # evaluated using a logical AND."
    condition = {
        "StringEquals": {"aws:RequestedRegion": "eu-west-1"},
        "Bool": {"aws:SecureTransport": "true"},
    }

    assert _holds(condition, {"aws:RequestedRegion": "eu-west-1", "aws:SecureTransport": True})
    assert not _holds(condition, {"aws:RequestedRegion": "eu-west-1", "aws:SecureTransport": False})
    assert not _holds(condition, {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": True})


def test_context_keys_under_one_operator_are_anded() -> None:
    # "If your policy statement has multiple context keys attached to a single condition operator,
    # the context keys are evaluated using a logical AND."
    condition = {"StringEquals": {"aws:PrincipalTag/team": "loyalty", "aws:RequestedRegion": "eu-west-1"}}

    assert _holds(condition, {"aws:PrincipalTag/team": "loyalty", "aws:RequestedRegion": "eu-west-1"})
    assert not _holds(condition, {"aws:PrincipalTag/team": "loyalty", "aws:RequestedRegion": "us-east-1"})


def test_values_of_one_key_are_ored() -> None:
    # "If a single condition operator includes multiple values for a context key, those values are
    # evaluated using a logical OR."
    condition = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}

    assert _holds(condition, {"aws:RequestedRegion": "eu-central-1"})
    assert not _holds(condition, {"aws:RequestedRegion": "us-east-1"})


def test_values_of_one_key_under_a_negated_operator_are_nored() -> None:
    # "If a single negated matching condition operator includes multiple values for a context key,
    # those values are evaluated using a logical NOR."
    condition = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}

    assert _holds(condition, {"aws:RequestedRegion": "us-east-1"})
    assert not _holds(condition, {"aws:RequestedRegion": "eu-central-1"})
    assert not _holds(condition, {"aws:RequestedRegion": "eu-west-1"})


def test_condition_key_names_are_case_insensitive() -> None:
    # "Context key names are not case-sensitive. For example, including the aws:SourceIP context key
    # is equivalent to testing for AWS:SourceIp."
    condition = {"IpAddress": {"aws:SourceIP": "203.0.113.0/24"}}

    assert _holds(condition, {"AWS:SourceIp": "203.0.113.7"})


def test_context_key_given_twice_in_different_case_is_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        _holds(
            {"Bool": {"aws:SecureTransport": "true"}},
            {"aws:SecureTransport": True, "AWS:securetransport": True},
        )


# --- missing keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("StringEquals", "x"),
        ("StringEqualsIgnoreCase", "x"),
        ("StringLike", "*"),
        ("NumericEquals", "1"),
        ("NumericLessThan", "1"),
        ("NumericLessThanEquals", "1"),
        ("NumericGreaterThan", "1"),
        ("NumericGreaterThanEquals", "1"),
        ("DateEquals", "2024-01-01T00:00:00Z"),
        ("DateLessThan", "2024-01-01T00:00:00Z"),
        ("DateLessThanEquals", "2024-01-01T00:00:00Z"),
        ("DateGreaterThan", "2024-01-01T00:00:00Z"),
        ("DateGreaterThanEquals", "2024-01-01T00:00:00Z"),
        ("Bool", "true"),
        ("BinaryEquals", "QmluYXJ5"),
        ("IpAddress", "0.0.0.0/0"),
        ("ArnEquals", "*"),
        ("ArnLike", "arn:*:*:*:*:*"),
    ],
)
def test_positive_operator_is_false_when_the_key_is_absent(operator: str, value: str) -> None:
    # "If the key that you specify in a policy condition is not present in the request context,
    # the values do not match and the condition is false."
    assert not _holds({operator: {"example:Missing": value}}, {})


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("StringNotEquals", "x"),
        ("StringNotEqualsIgnoreCase", "x"),
        ("StringNotLike", "*"),
        ("NumericNotEquals", "1"),
        ("DateNotEquals", "2024-01-01T00:00:00Z"),
        ("NotIpAddress", "0.0.0.0/0"),
        ("ArnNotEquals", "arn:*:*:*:*:*"),
        ("ArnNotLike", "arn:*:*:*:*:*"),
    ],
)
def test_negated_operator_is_true_when_the_key_is_absent(operator: str, value: str) -> None:
    # "If the policy condition requires that the key is not matched, such as StringNotLike or
    # ArnNotLike, and the right key is not present, the condition is true."
    assert _holds({operator: {"example:Missing": value}}, {})


def test_negated_operator_with_absent_key_makes_a_deny_apply() -> None:
    # The consequence for Deny statements: a Deny guarded by StringNotEquals applies to requests
    # that lack the key altogether.
    decision = _decide({"StringNotEquals": {"aws:PrincipalTag/team": "loyalty"}}, {}, effect="Deny")

    assert decision.outcome is Outcome.EXPLICIT_DENY


# --- operator families, with the key present ------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "expected"),
    [
        ("StringEquals", "loyalty", "loyalty", True),
        ("StringEquals", "loyalty", "Loyalty", False),
        ("StringEquals", "loyalty*", "loyalty-team", False),
        ("StringNotEquals", "loyalty", "Loyalty", True),
        ("StringNotEquals", "loyalty", "loyalty", False),
        ("StringEqualsIgnoreCase", "loyalty", "LOYALTY", True),
        ("StringEqualsIgnoreCase", "loyalty", "booking", False),
        ("StringNotEqualsIgnoreCase", "loyalty", "LOYALTY", False),
        ("StringNotEqualsIgnoreCase", "loyalty", "booking", True),
        ("StringLike", "loyalty-*", "loyalty-get", True),
        ("StringLike", "loyalty-?et", "loyalty-get", True),
        ("StringLike", "loyalty-*", "Loyalty-get", False),
        ("StringNotLike", "loyalty-*", "booking-confirm", True),
        ("StringNotLike", "loyalty-*", "loyalty-get", False),
    ],
)
def test_string_operators(operator: str, policy_value: str, request_value: str, expected: bool) -> None:
    # "StringEquals: Exact matching, case sensitive"; "StringEqualsIgnoreCase: Exact matching,
    # ignoring case"; "StringLike: Case-sensitive matching. The values can include multi-character
    # match wildcards (*) and single-character match wildcards (?) anywhere in the string."
    assert _holds(
        {operator: {"aws:PrincipalTag/team": policy_value}}, {"aws:PrincipalTag/team": request_value}
    ) is (expected)


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "expected"),
    [
        ("NumericEquals", "10", 10, True),
        ("NumericEquals", "10", "10.0", True),
        ("NumericEquals", 10, "11", False),
        ("NumericNotEquals", "10", "11", True),
        ("NumericNotEquals", "10", "10", False),
        ("NumericLessThan", "10", "9", True),
        ("NumericLessThan", "10", "10", False),
        ("NumericLessThanEquals", "10", "10", True),
        ("NumericLessThanEquals", "10", "11", False),
        ("NumericGreaterThan", "10", "10.5", True),
        ("NumericGreaterThan", "10", "10", False),
        ("NumericGreaterThanEquals", "10", "10", True),
        ("NumericGreaterThanEquals", "10", "-3", False),
    ],
)
def test_numeric_operators(
    operator: str, policy_value: object, request_value: ContextValue, expected: bool
) -> None:
    # "Numeric condition operators let you construct Condition elements that restrict access based
    # on comparing a key to an integer or decimal value."
    assert _holds({operator: {"s3:max-keys": policy_value}}, {"s3:max-keys": request_value}) is expected


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "expected"),
    [
        ("DateEquals", "2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z", True),
        ("DateEquals", "2024-06-01T12:00:00Z", "2024-06-01T14:00:00+02:00", True),
        ("DateEquals", "2024-06-01T12:00:00Z", "1717243200", True),
        ("DateNotEquals", "2024-06-01T12:00:00Z", "2024-06-01T12:00:01Z", True),
        ("DateNotEquals", "2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z", False),
        ("DateLessThan", "2024-06-01", "2024-05-31T23:59:59Z", True),
        ("DateLessThan", "2024-06-01", "2024-06-01T00:00:00Z", False),
        ("DateLessThanEquals", "1717243200", "2024-06-01T12:00:00Z", True),
        ("DateLessThanEquals", "1717243200", "2024-06-01T12:00:01Z", False),
        ("DateGreaterThan", "2024-06-01T12:00:00Z", 1717243201, True),
        ("DateGreaterThan", "2024-06-01T12:00:00Z", 1717243200, False),
        ("DateGreaterThanEquals", "2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z", True),
        ("DateGreaterThanEquals", "2024-06-01T12:00:00Z", "2023-06-01T12:00:00Z", False),
    ],
)
def test_date_operators_accept_iso_8601_and_epoch(
    operator: str, policy_value: str, request_value: ContextValue, expected: bool
) -> None:
    # "You must specify date/time values with one of the W3C implementations of the ISO 8601 date
    # formats or in epoch (UNIX) time."
    assert (
        _holds({operator: {"aws:CurrentTime": policy_value}}, {"aws:CurrentTime": request_value}) is expected
    )


@pytest.mark.parametrize(
    ("policy_value", "request_value", "expected"),
    [("true", True, True), ("true", False, False), (False, False, True), ("false", "FALSE", True)],
)
def test_bool_operator(policy_value: object, request_value: ContextValue, expected: bool) -> None:
    # "Boolean conditions let you construct Condition elements that restrict access based on
    # comparing a key to "true" or "false"."
    assert (
        _holds({"Bool": {"aws:SecureTransport": policy_value}}, {"aws:SecureTransport": request_value})
        is expected
    )


def test_binary_equals_compares_decoded_bytes() -> None:
    # BinaryEquals "compares the value of the specified key byte for byte against a base-64 encoded
    # representation of the binary value in the policy".
    assert _holds(
        {"BinaryEquals": {"example:Blob": "QmluYXJ5VmFsdWU="}}, {"example:Blob": "QmluYXJ5VmFsdWU="}
    )
    assert not _holds({"BinaryEquals": {"example:Blob": "QmluYXJ5VmFsdWU="}}, {"example:Blob": "T3RoZXI="})


@pytest.mark.parametrize(
    ("operator", "policy_value", "source_ip", "expected"),
    [
        ("IpAddress", "203.0.113.0/24", "203.0.113.200", True),
        ("IpAddress", "203.0.113.0/24", "198.51.100.1", False),
        ("IpAddress", "203.0.113.9", "203.0.113.9", True),
        ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),
        ("IpAddress", "2001:DB8:1234:5678::/64", "203.0.113.9", False),
        ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
        ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", False),
    ],
)
def test_ip_address_operators(operator: str, policy_value: str, source_ip: str, expected: bool) -> None:
    # "The value must be in the standard CIDR format ... If you specify an IP address without the
    # associated routing prefix, IAM uses the default prefix value of /32."
    assert _holds({operator: {"aws:SourceIp": policy_value}}, {"aws:SourceIp": source_ip}) is expected


def test_arn_operators_match_each_component_separately() -> None:
    # The IAM User Guide's own example: with StringLike "the first asterisk matches
    # us-east-2:999999999999:store/abc:"; with ArnLike, "which matches elements between colons,
    # the match fails".
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"

    assert _holds({"StringLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value})
    assert not _holds({"ArnLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value})
    assert _holds({"ArnNotLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": value})


@pytest.mark.parametrize("operator", ["ArnEquals", "ArnLike"])
def test_arn_equals_and_arn_like_behave_identically(operator: str) -> None:
    # "The ArnEquals and ArnLike condition operators behave identically."
    condition = {operator: {"aws:SourceArn": f"arn:aws:lambda:*:{ACCOUNT}:function:loyalty-*"}}

    assert _holds(condition, {"aws:SourceArn": INGEST_FUNCTION})
    assert _holds(condition, {"aws:SourceArn": f"{INGEST_FUNCTION}:live"})
    assert not _holds(condition, {"aws:SourceArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:booking"})
    assert not _holds(condition, {"aws:SourceArn": BOOKING_TOPIC})


def test_context_value_an_operator_cannot_interpret_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"statement 'Conditional': condition NumericLessThan on s3:max-keys"
    ):
        _holds({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"})
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        _holds({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "localhost"})


# --- ...IfExists ----------------------------------------------------------------------------------


def test_if_exists_makes_an_absent_key_match_and_checks_a_present_one() -> None:
    # "If the policy key is present in the context of the request, process the key as specified in
    # the policy. If the key is not present, evaluate the condition element as true."
    condition = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}

    assert _holds(condition, {})
    assert _holds(condition, {"ec2:InstanceType": "t2.micro"})
    assert not _holds(condition, {"ec2:InstanceType": "m5.large"})


def test_negated_if_exists_in_a_deny_still_denies_when_the_key_is_missing() -> None:
    # "If you are using an "Effect": "Deny" element with a negated condition operator like
    # StringNotEqualsIfExists, the request is still denied even if the tag is missing."
    condition = {"StringNotEqualsIfExists": {"aws:ResourceTag/team": "loyalty"}}

    assert _decide(condition, {}, effect="Deny").outcome is Outcome.EXPLICIT_DENY
    assert (
        _decide(condition, {"aws:ResourceTag/team": "booking"}, effect="Deny").outcome
        is Outcome.EXPLICIT_DENY
    )
    assert _decide(condition, {"aws:ResourceTag/team": "loyalty"}, effect="Deny").outcome is Outcome.ALLOW


@pytest.mark.parametrize(
    "operator", ["NumericLessThanIfExists", "DateGreaterThanIfExists", "BoolIfExists", "IpAddressIfExists"]
)
def test_if_exists_applies_to_every_operator_family(operator: str) -> None:
    # "You can add IfExists to the end of any condition operator name except the Null condition".
    values = {"Numeric": "10", "Date": "2024-01-01T00:00:00Z", "Bool": "true", "IpAddr": "10.0.0.0/8"}
    value = next(text for prefix, text in values.items() if operator.startswith(prefix))

    assert _holds({operator: {"example:Missing": value}}, {})


# --- set qualifiers -------------------------------------------------------------------------------


def test_for_all_values_needs_every_request_value_to_match_a_policy_value() -> None:
    # ForAllValues: "If every key in the request ... matches at least one condition value in the
    # policy ..., the condition operator returns true."
    condition = {"ForAllValues:StringLike": {"dynamodb:Attributes": ["PostDateTime", "Message", "Tags"]}}

    assert _holds(condition, {"dynamodb:Attributes": ["PostDateTime", "Message"]})
    assert not _holds(condition, {"dynamodb:Attributes": ["PostDateTime", "UserName"]})


@pytest.mark.parametrize("attributes", [None, [], ""], ids=["absent", "empty-list", "empty-string"])
def test_for_all_values_is_true_for_an_absent_or_empty_key(attributes: ContextValue | None) -> None:
    # "If the key values in the request resolve to an empty data set (for example, an empty
    # string), a condition operator modified by ForAllValues returns true"; it "also returns true if
    # there are no context keys in the request".
    context: dict[str, ContextValue] = {} if attributes is None else {"dynamodb:Attributes": attributes}

    assert _holds({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["Message"]}}, context)


def test_for_any_value_needs_one_request_value_to_match() -> None:
    # ForAnyValue: "If any combination of request value and policy value ... returns true, the
    # condition operator returns true."
    condition = {"ForAnyValue:StringLike": {"dynamodb:Attributes": ["ID", "PostDateTime"]}}

    assert _decide(
        condition, {"dynamodb:Attributes": ["UserName", "Message", "PostDateTime"]}, "Deny"
    ).outcome is (Outcome.EXPLICIT_DENY)
    assert _decide(condition, {"dynamodb:Attributes": ["UserName"]}, "Deny").outcome is Outcome.ALLOW


@pytest.mark.parametrize("attributes", [None, [], ""], ids=["absent", "empty-list", "empty-string"])
def test_for_any_value_is_false_for_an_absent_or_empty_key(attributes: ContextValue | None) -> None:
    # "... and a condition operator modified by ForAnyValue returns false."
    context: dict[str, ContextValue] = {} if attributes is None else {"dynamodb:Attributes": attributes}

    assert not _holds({"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["Message"]}}, context)
    assert not _holds({"ForAnyValue:StringNotEquals": {"dynamodb:Attributes": ["Message"]}}, context)


def test_for_all_values_with_a_negated_operator() -> None:
    # The IAM User Guide's aws:TagKeys example: a Deny with "ForAllValues:StringNotLike":
    # {"aws:TagKeys": "key1*"} matches key2:audit and a request without aws:TagKeys, and does not
    # match key1:hr together with key1:personnel.
    condition = {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}

    assert _decide(condition, {"aws:TagKeys": ["key2:audit"]}, "Deny").outcome is Outcome.EXPLICIT_DENY
    assert _decide(condition, {}, "Deny").outcome is Outcome.EXPLICIT_DENY
    assert _decide(condition, {"aws:TagKeys": ["key1:hr", "key1:personnel"]}, "Deny").outcome is Outcome.ALLOW


def test_for_any_value_with_a_negated_operator() -> None:
    # Negation applies per request value: true when some request value matches none of the
    # policy values.
    condition = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "cost-center"]}}

    assert _holds(condition, {"aws:TagKeys": ["team", "owner"]})
    assert not _holds(condition, {"aws:TagKeys": ["team", "cost-center"]})


def test_for_all_values_if_exists_combines_both_modifiers() -> None:
    condition = {"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}

    assert _holds(condition, {})
    assert not _holds(condition, {"aws:TagKeys": ["team", "owner"]})


def test_multivalued_key_without_qualifier_matches_when_any_value_does() -> None:
    # Without a set operator a multivalued key is compared value by value; the negated operator is
    # the exact negation of the positive one.
    assert _holds({"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["owner", "team"]})
    assert not _holds({"StringNotEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["owner", "team"]})
    assert _holds({"StringNotEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["owner"]})


# --- Null -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy_value", "context", "expected"),
    [
        ("true", {}, True),
        ("true", {"aws:TokenIssueTime": "2024-06-01T12:00:00Z"}, False),
        (True, {"aws:TagKeys": []}, True),
        ("false", {}, False),
        (False, {"aws:TokenIssueTime": "2024-06-01T12:00:00Z"}, True),
    ],
)
def test_null_checks_whether_the_key_is_present(
    policy_value: object, context: dict[str, ContextValue], expected: bool
) -> None:
    # "use either true (the key doesn't exist - it is null) or false (the key exists and its value
    # is not null)".
    key = next(iter(context), "aws:TokenIssueTime")

    assert _holds({"Null": {key: policy_value}}, context) is expected


# --- unknown operators ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator",
    ["StringEqualz", "NullIfExists", "ForAllValues:Null", "ForSomeValues:StringEquals", "IfExists"],
)
def test_unknown_operator_makes_an_allow_not_apply_and_is_reported(operator: str) -> None:
    # IAM refuses to store such a policy; here the statement does not apply and the decision says
    # why, so that the mistake is visible rather than silently granting or ignoring.
    decision = _decide({operator: {"aws:SourceIp": "203.0.113.9"}}, {"aws:SourceIp": "203.0.113.9"})

    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.warnings == (
        "identity policy #0 statement 'Conditional' does not apply: "
        f"unknown condition operator(s) {operator}",
    )


def test_unknown_operator_in_a_deny_is_reported_even_with_other_clauses() -> None:
    decision = _decide(
        {"StringEquals": {"aws:PrincipalTag/team": "loyalty"}, "StringNotEqualz": {"aws:SourceIp": "x"}},
        {"aws:PrincipalTag/team": "loyalty"},
        effect="Deny",
    )

    assert decision.outcome is Outcome.ALLOW
    assert len(decision.warnings) == 1
    assert "StringNotEqualz" in decision.warnings[0]


def test_operator_names_ignore_case() -> None:
    # Operator names are read without regard to case, so that a spelling variant can never turn a
    # Deny into a statement that does not apply.
    assert _holds({"forallvalues:stringequalsifexists": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["team"]})
