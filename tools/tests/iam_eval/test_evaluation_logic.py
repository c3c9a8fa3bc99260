"""How identity-based and resource-based policies combine (IAM User Guide, "Policy evaluation
logic" and "Cross-account policy evaluation logic")."""

from __future__ import annotations

import pytest

from iam_eval import Outcome, Principal, evaluate
from tests.iam_eval.builders import (
    ACCOUNT,
    ADMIN_USER_ARN,
    BOOKING_QUEUE,
    BOOKING_TABLE,
    BOOKING_TOPIC,
    LOYALTY_ROLE_ARN,
    LOYALTY_TABLE,
    OTHER_ACCOUNT,
    PARTNER_ROLE_ARN,
    allow,
    booking_session,
    deny,
    loyalty_session,
    partner_session,
    policy,
    request,
)

READ_LOYALTY = policy(allow("dynamodb:GetItem", LOYALTY_TABLE, Sid="ReadLoyalty"))


def test_requests_are_implicitly_denied_by_default() -> None:
    # "By default, all requests are implicitly denied with the exception of the AWS account root
    # user, which has full access."
    nothing = evaluate(request(loyalty_session(), "dynamodb:GetItem", LOYALTY_TABLE), identity_policies=[])
    other_action = evaluate(
        request(loyalty_session(), "dynamodb:PutItem", LOYALTY_TABLE), identity_policies=[READ_LOYALTY]
    )

    assert nothing.outcome is Outcome.IMPLICIT_DENY
    assert not nothing.allowed
    assert other_action.outcome is Outcome.IMPLICIT_DENY


def test_identity_policy_allow_grants_access() -> None:
    # "An explicit allow in an identity-based or resource-based policy overrides this default."
    decision = evaluate(
        request(loyalty_session(), "dynamodb:GetItem", LOYALTY_TABLE), identity_policies=[READ_LOYALTY]
    )

    assert decision.outcome is Outcome.ALLOW
    assert decision.allowed
    assert decision.reasons == ("allowed by identity policy #0 statement 'ReadLoyalty'",)


def test_explicit_deny_in_identity_policy_overrides_allow() -> None:
    # "An explicit deny in any policy overrides any allows."
    decision = evaluate(
        request(loyalty_session(), "dynamodb:GetItem", LOYALTY_TABLE),
        identity_policies=[
            policy(allow("dynamodb:*", "*", Sid="AllDynamo")),
            policy(deny("dynamodb:GetItem", LOYALTY_TABLE, Sid="NoLoyaltyReads")),
        ],
    )

    assert decision.outcome is Outcome.EXPLICIT_DENY
    assert decision.reasons == ("explicitly denied by identity policy #1 statement 'NoLoyaltyReads'",)


def test_explicit_deny_in_resource_policy_overrides_identity_allow() -> None:
    # "In all those policies, the enforcement code looks for a Deny statement that applies to the
    # request ... If the code finds even one explicit deny that applies, the code returns a final
    # decision of Deny."
    queue_policy = policy(
        {
            "Sid": "NoBookingSends",
            "Effect": "Deny",
            "Principal": {"AWS": ACCOUNT},
            "Action": "sqs:SendMessage",
            "Resource": BOOKING_QUEUE,
        }
    )

    decision = evaluate(
        request(booking_session(), "sqs:SendMessage", BOOKING_QUEUE),
        identity_policies=[policy(allow("sqs:SendMessage", BOOKING_QUEUE))],
        resource_policy=queue_policy,
    )

    assert decision.outcome is Outcome.EXPLICIT_DENY
    assert decision.reasons == ("explicitly denied by resource policy statement 'NoBookingSends'",)


def test_explicit_deny_in_identity_policy_overrides_resource_policy_allow() -> None:
    # "An explicit deny in either of these policies overrides the allow."
    queue_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": LOYALTY_ROLE_ARN},
            "Action": "sqs:SendMessage",
            "Resource": BOOKING_QUEUE,
        }
    )

    decision = evaluate(
        request(loyalty_session(), "sqs:SendMessage", BOOKING_QUEUE),
        identity_policies=[policy(deny("sqs:*", "*"))],
        resource_policy=queue_policy,
    )

    assert decision.outcome is Outcome.EXPLICIT_DENY


def test_same_account_resource_policy_alone_grants_access() -> None:
    # "If an action is allowed by an identity-based policy, a resource-based policy, or both, then
    # AWS allows the action."
    queue_policy = policy(
        {
            "Sid": "LoyaltyMaySend",
            "Effect": "Allow",
            "Principal": {"AWS": LOYALTY_ROLE_ARN},
            "Action": "sqs:SendMessage",
            "Resource": BOOKING_QUEUE,
        }
    )

    decision = evaluate(
        request(loyalty_session(), "sqs:SendMessage", BOOKING_QUEUE),
        identity_policies=[],
        resource_policy=queue_policy,
    )

    assert decision.outcome is Outcome.ALLOW
    assert decision.reasons == ("allowed by resource policy statement 'LoyaltyMaySend'",)


def test_resource_policy_statement_naming_another_principal_does_not_apply() -> None:
    # The Principal element specifies "the principal that is allowed or denied access": a Deny
    # naming the booking role says nothing about the loyalty role.
    queue_policy = policy(
        {
            "Effect": "Deny",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/airline/booking-confirm-fn"},
            "Action": "sqs:*",
            "Resource": BOOKING_QUEUE,
        }
    )

    decision = evaluate(
        request(loyalty_session(), "sqs:SendMessage", BOOKING_QUEUE),
        identity_policies=[policy(allow("sqs:SendMessage", BOOKING_QUEUE))],
        resource_policy=queue_policy,
    )

    assert decision.outcome is Outcome.ALLOW


PARTNER_READS_LOYALTY = policy(
    {
        "Sid": "PartnerReads",
        "Effect": "Allow",
        "Principal": {"AWS": PARTNER_ROLE_ARN},
        "Action": "dynamodb:GetItem",
        "Resource": LOYALTY_TABLE,
    }
)
PARTNER_IDENTITY = policy(allow("dynamodb:GetItem", LOYALTY_TABLE, Sid="ReadAirlineLoyalty"))


@pytest.mark.parametrize(
    ("identity_policies", "resource_policy", "expected"),
    [
        pytest.param([PARTNER_IDENTITY], None, Outcome.IMPLICIT_DENY, id="identity-only"),
        pytest.param([], PARTNER_READS_LOYALTY, Outcome.IMPLICIT_DENY, id="resource-only"),
        pytest.param([PARTNER_IDENTITY], PARTNER_READS_LOYALTY, Outcome.ALLOW, id="both"),
    ],
)
def test_cross_account_request_needs_both_identity_and_resource_policy_allow(
    identity_policies: list[dict[str, object]], resource_policy: dict[str, object] | None, expected: Outcome
) -> None:
    # "The request is allowed only if both evaluations return a decision of Allow."
    decision = evaluate(
        request(partner_session(), "dynamodb:GetItem", LOYALTY_TABLE),
        identity_policies=identity_policies,
        resource_policy=resource_policy,
        resource_account=ACCOUNT,
    )

    assert decision.outcome is expected
    assert decision.reasons[0].startswith(
        f"cross-account request from account {OTHER_ACCOUNT} to a resource of account {ACCOUNT}"
    )


def test_cross_account_resource_policy_may_name_the_trusted_account() -> None:
    # "When you allow access to a different account, an administrator in that account must then
    # grant access to an identity (IAM user or role) in that account."
    table_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
            "Action": "dynamodb:GetItem",
            "Resource": LOYALTY_TABLE,
        }
    )

    with_identity_grant = evaluate(
        request(partner_session(), "dynamodb:GetItem", LOYALTY_TABLE),
        identity_policies=[PARTNER_IDENTITY],
        resource_policy=table_policy,
        resource_account=ACCOUNT,
    )
    without_identity_grant = evaluate(
        request(partner_session(), "dynamodb:GetItem", LOYALTY_TABLE),
        identity_policies=[],
        resource_policy=table_policy,
        resource_account=ACCOUNT,
    )

    assert with_identity_grant.outcome is Outcome.ALLOW
    assert without_identity_grant.outcome is Outcome.IMPLICIT_DENY


def test_naming_the_own_account_delegates_to_identity_policies() -> None:
    # Naming an account "delegates authority to the account" and "Using the account ARN in the
    # Principal element does not limit permissions to only the root user of the account": the
    # account's users and roles still need an identity-based Allow.
    table_policy = policy(
        {
            "Sid": "AccountMayRead",
            "Effect": "Allow",
            "Principal": {"AWS": ACCOUNT},
            "Action": "dynamodb:GetItem",
            "Resource": BOOKING_TABLE,
        }
    )

    without_identity_grant = evaluate(
        request(loyalty_session(), "dynamodb:GetItem", BOOKING_TABLE),
        identity_policies=[],
        resource_policy=table_policy,
    )
    with_identity_grant = evaluate(
        request(loyalty_session(), "dynamodb:GetItem", BOOKING_TABLE),
        identity_policies=[policy(allow("dynamodb:GetItem", BOOKING_TABLE))],
        resource_policy=table_policy,
    )

    assert without_identity_grant.outcome is Outcome.IMPLICIT_DENY
    assert any(
        "'AccountMayRead' names only the account" in reason for reason in without_identity_grant.reasons
    )
    assert with_identity_grant.outcome is Outcome.ALLOW


def test_root_user_has_full_access_within_its_account_unless_explicitly_denied() -> None:
    # "... with the exception of the AWS account root user, which has full access." An explicit
    # deny in a resource-based policy still applies to it.
    root = Principal.root(ACCOUNT)
    topic_policy = policy(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:DeleteTopic",
            "Resource": BOOKING_TOPIC,
        }
    )

    publish = evaluate(
        request(root, "sns:Publish", BOOKING_TOPIC), identity_policies=[], resource_policy=topic_policy
    )
    delete = evaluate(
        request(root, "sns:DeleteTopic", BOOKING_TOPIC), identity_policies=[], resource_policy=topic_policy
    )

    assert publish.outcome is Outcome.ALLOW
    assert delete.outcome is Outcome.EXPLICIT_DENY


def test_root_user_of_another_account_needs_the_resource_policy() -> None:
    # Cross-account: the trusting account's resource-based policy must allow the requester.
    partner_root = Principal.root(OTHER_ACCOUNT)
    table_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": OTHER_ACCOUNT},
            "Action": "dynamodb:GetItem",
            "Resource": LOYALTY_TABLE,
        }
    )

    granted = evaluate(
        request(partner_root, "dynamodb:GetItem", LOYALTY_TABLE),
        identity_policies=[],
        resource_policy=table_policy,
        resource_account=ACCOUNT,
    )
    not_granted = evaluate(
        request(partner_root, "dynamodb:PutItem", LOYALTY_TABLE),
        identity_policies=[],
        resource_policy=table_policy,
        resource_account=ACCOUNT,
    )

    assert granted.outcome is Outcome.ALLOW
    assert not_granted.outcome is Outcome.IMPLICIT_DENY


def test_anonymous_caller_is_granted_only_by_a_resource_policy() -> None:
    # "For resource-based policies, using a wildcard (*) with an Allow effect grants access to all
    # users, including anonymous users (public access)."
    public_topic = policy(
        {"Effect": "Allow", "Principal": "*", "Action": "sns:Subscribe", "Resource": BOOKING_TOPIC}
    )

    without_policy = evaluate(
        request(Principal.anonymous(), "sns:Subscribe", BOOKING_TOPIC), identity_policies=[]
    )
    with_policy = evaluate(
        request(Principal.anonymous(), "sns:Subscribe", BOOKING_TOPIC),
        identity_policies=[],
        resource_policy=public_topic,
    )

    assert without_policy.outcome is Outcome.IMPLICIT_DENY
    assert with_policy.outcome is Outcome.ALLOW


def test_service_principal_is_granted_by_a_statement_naming_it() -> None:
    # The SQS example of the ARN condition operators: a queue policy lets Amazon SNS send
    # messages on behalf of one topic, named in aws:SourceArn.
    queue_policy = policy(
        {
            "Sid": "TopicMayDeliver",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": BOOKING_QUEUE,
            "Condition": {"ArnEquals": {"aws:SourceArn": BOOKING_TOPIC}},
        }
    )
    sns = Principal.service("sns.amazonaws.com")

    from_topic = evaluate(
        request(sns, "sqs:SendMessage", BOOKING_QUEUE, {"aws:SourceArn": BOOKING_TOPIC}),
        identity_policies=[],
        resource_policy=queue_policy,
    )
    from_other_topic = evaluate(
        request(sns, "sqs:SendMessage", BOOKING_QUEUE, {"aws:SourceArn": f"{BOOKING_TOPIC}-copy"}),
        identity_policies=[],
        resource_policy=queue_policy,
    )

    assert from_topic.outcome is Outcome.ALLOW
    assert from_topic.reasons == ("allowed by resource policy statement 'TopicMayDeliver'",)
    assert from_other_topic.outcome is Outcome.IMPLICIT_DENY


@pytest.mark.parametrize(
    "principal",
    [Principal.anonymous(), Principal.service("states.amazonaws.com"), Principal.root(ACCOUNT)],
    ids=["anonymous", "service", "root"],
)
def test_principals_without_identity_policies_refuse_them(principal: Principal) -> None:
    # Identity-based policies "are attached to an IAM identity (user, group of users, or role)".
    with pytest.raises(ValueError, match="has no identity-based policies"):
        evaluate(request(principal, "sqs:SendMessage", BOOKING_QUEUE), identity_policies=[READ_LOYALTY])


def test_user_is_evaluated_like_a_role_session() -> None:
    # Identity-based policies "grant permissions to IAM entities (users and roles)".
    alice = Principal.user(ADMIN_USER_ARN)

    decision = evaluate(
        request(alice, "dynamodb:Query", BOOKING_TABLE),
        identity_policies=[policy(allow("dynamodb:Query", BOOKING_TABLE))],
    )

    assert decision.outcome is Outcome.ALLOW
