"""Principal and NotPrincipal in resource-based policies, and the Principal constructors (IAM User
Guide, "AWS JSON policy elements: Principal" and "NotPrincipal")."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from iam_eval import Outcome, Principal, PrincipalKind, evaluate
from tests.iam_eval.builders import (
    ACCOUNT,
    ADMIN_USER_ARN,
    BOOKING_QUEUE,
    BOOKING_TOPIC,
    LOYALTY_ROLE_ARN,
    OTHER_ACCOUNT,
    allow,
    booking_session,
    loyalty_session,
    partner_session,
    policy,
    request,
)

SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/loyalty-get-fn/loyalty-get-fn"


def _queue_policy(principal_element: str, principal: object, effect: str = "Allow") -> dict[str, object]:
    return policy(
        {
            "Effect": effect,
            principal_element: principal,
            "Action": "sqs:SendMessage",
            "Resource": BOOKING_QUEUE,
        }
    )


def _send(principal: Principal, queue_policy: dict[str, object], *, identity_allows: bool = False) -> Outcome:
    identity = [policy(allow("sqs:SendMessage", BOOKING_QUEUE))] if identity_allows else []
    return evaluate(
        request(principal, "sqs:SendMessage", BOOKING_QUEUE),
        identity_policies=identity,
        resource_policy=queue_policy,
        resource_account=ACCOUNT,
    ).outcome


def test_role_session_constructor_derives_the_session_arn_without_the_role_path() -> None:
    # Assumed-role session principals have the form
    # "arn:aws:sts::AWS-account-ID:assumed-role/role-name/role-session-name".
    session = loyalty_session()

    assert session.kind is PrincipalKind.ROLE_SESSION
    assert session.arn == SESSION_ARN
    assert session.role_arn == LOYALTY_ROLE_ARN
    assert session.account_id == ACCOUNT
    assert session.principal_arn == LOYALTY_ROLE_ARN


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: Principal.role_session(f"arn:aws:iam::{ACCOUNT}:user/alice", "s"),
            "is not an IAM role ARN",
            id="role-from-user-arn",
        ),
        pytest.param(
            lambda: Principal.role_session(LOYALTY_ROLE_ARN, "has space"),
            "is not a valid role session name",
            id="bad-session-name",
        ),
        pytest.param(
            lambda: Principal.user(LOYALTY_ROLE_ARN), "is not an IAM user ARN", id="user-from-role-arn"
        ),
        pytest.param(lambda: Principal.root("1234"), "is not 12 digits", id="short-account"),
        pytest.param(lambda: Principal.service(""), "is not a service principal name", id="empty-service"),
        pytest.param(
            lambda: Principal(kind=PrincipalKind.ANONYMOUS, account_id=ACCOUNT),
            "anonymous principal must not have account_id",
            id="anonymous-with-account",
        ),
    ],
)
def test_principal_constructors_reject_malformed_identifiers(
    build: Callable[[], Principal], message: str
) -> None:
    # A caller that is not what IAM would authenticate is a bug in the caller; say so at once.
    with pytest.raises(ValueError, match=message):
        build()


def test_role_arn_in_principal_matches_the_role_sessions() -> None:
    # A role principal covers the sessions of the role: "When they use those session credentials
    # to perform operations in AWS, they become a role session principal."
    queue_policy = _queue_policy("Principal", {"AWS": LOYALTY_ROLE_ARN})

    assert _send(loyalty_session(), queue_policy) is Outcome.ALLOW
    assert _send(Principal.role_session(LOYALTY_ROLE_ARN, "another-session"), queue_policy) is Outcome.ALLOW
    assert _send(booking_session(), queue_policy) is Outcome.IMPLICIT_DENY


def test_session_arn_in_principal_matches_only_that_session() -> None:
    # "When you specify an assumed-role session in a Principal element, you cannot use a wildcard
    # "*" to mean all sessions. Principals must always name a specific session."
    queue_policy = _queue_policy("Principal", {"AWS": SESSION_ARN})

    assert _send(loyalty_session(), queue_policy) is Outcome.ALLOW
    assert (
        _send(Principal.role_session(LOYALTY_ROLE_ARN, "another-session"), queue_policy)
        is Outcome.IMPLICIT_DENY
    )


def test_principal_arns_are_matched_without_wildcards() -> None:
    # "You cannot use a wildcard to match part of a principal name or ARN."
    queue_policy = _queue_policy("Principal", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/airline/*"})

    assert _send(loyalty_session(), queue_policy) is Outcome.IMPLICIT_DENY


@pytest.mark.parametrize("everyone", ["*", {"AWS": "*"}], ids=["star", "aws-star"])
@pytest.mark.parametrize(
    "principal",
    [
        loyalty_session(),
        Principal.user(ADMIN_USER_ARN),
        Principal.root(ACCOUNT),
        Principal.anonymous(),
        Principal.service("sns.amazonaws.com"),
    ],
    ids=["role-session", "user", "root", "anonymous", "service"],
)
def test_star_principal_and_aws_star_are_equivalent(everyone: object, principal: Principal) -> None:
    # "For anonymous users, the following elements are equivalent: "Principal": "*" and
    # "Principal" : { "AWS" : "*" }", and a wildcard "grants access to all users, including
    # anonymous users (public access)".
    assert _send(principal, _queue_policy("Principal", everyone)) is Outcome.ALLOW


def test_star_principal_in_another_account_still_needs_an_identity_policy() -> None:
    # "For principals in other accounts, they must also have identity-based permissions in their
    # account that allow them to access your resource."
    queue_policy = _queue_policy("Principal", "*")

    assert _send(partner_session(), queue_policy) is Outcome.IMPLICIT_DENY
    assert _send(partner_session(), queue_policy, identity_allows=True) is Outcome.ALLOW


@pytest.mark.parametrize(
    "account", [OTHER_ACCOUNT, f"arn:aws:iam::{OTHER_ACCOUNT}:root"], ids=["id", "root-arn"]
)
def test_account_id_and_root_arn_name_the_whole_account(account: str) -> None:
    # "The account ARN and the shortened account ID behave the same way. Both delegate permissions
    # to the account. Using the account ARN in the Principal element does not limit permissions to
    # only the root user of the account."
    queue_policy = _queue_policy("Principal", {"AWS": [account]})

    assert _send(partner_session(), queue_policy, identity_allows=True) is Outcome.ALLOW
    assert _send(Principal.root(OTHER_ACCOUNT), queue_policy) is Outcome.ALLOW
    assert _send(loyalty_session(), queue_policy) is Outcome.IMPLICIT_DENY


def test_service_principal_matches_only_that_service() -> None:
    # "A service principal is an identifier for a service"; it names that service and nothing else.
    queue_policy = _queue_policy("Principal", {"Service": ["sns.amazonaws.com", "events.amazonaws.com"]})

    assert _send(Principal.service("sns.amazonaws.com"), queue_policy) is Outcome.ALLOW
    assert _send(Principal.service("events.amazonaws.com"), queue_policy) is Outcome.ALLOW
    assert _send(Principal.service("appsync.amazonaws.com"), queue_policy) is Outcome.IMPLICIT_DENY
    assert _send(loyalty_session(), queue_policy) is Outcome.IMPLICIT_DENY
    assert _send(Principal.anonymous(), queue_policy) is Outcome.IMPLICIT_DENY


def test_unmodelled_principal_types_never_match() -> None:
    # Federated and CanonicalUser principals name callers outside the ones modelled here.
    queue_policy = _queue_policy("Principal", {"Federated": "cognito-identity.amazonaws.com"})

    assert _send(loyalty_session(), queue_policy) is Outcome.IMPLICIT_DENY
    assert _send(Principal.anonymous(), queue_policy) is Outcome.IMPLICIT_DENY


def test_not_principal_deny_exempts_a_user_only_with_its_account() -> None:
    # "When you use NotPrincipal with Deny, you must also specify the account ARN of the
    # not-denied principal. Otherwise, the policy might deny access to the entire account
    # containing the principal."
    alice = Principal.user(ADMIN_USER_ARN)
    user_only = _queue_policy("NotPrincipal", {"AWS": ADMIN_USER_ARN}, effect="Deny")
    user_and_account = _queue_policy(
        "NotPrincipal", {"AWS": [ADMIN_USER_ARN, f"arn:aws:iam::{ACCOUNT}:root"]}, "Deny"
    )

    assert _send(alice, user_only, identity_allows=True) is Outcome.EXPLICIT_DENY
    assert _send(alice, user_and_account, identity_allows=True) is Outcome.ALLOW
    assert _send(loyalty_session(), user_and_account, identity_allows=True) is Outcome.EXPLICIT_DENY
    assert _send(Principal.anonymous(), user_and_account) is Outcome.EXPLICIT_DENY


def test_not_principal_deny_exempts_a_role_session_only_with_its_whole_chain() -> None:
    # "If an assumed-role user (someone who is using a role) is being evaluated, AWS might validate
    # the account first, then the role, and then the assumed-role user": the session ARN, the role
    # ARN and the account must all be listed.
    chain = [SESSION_ARN, LOYALTY_ROLE_ARN, ACCOUNT]
    complete = _queue_policy("NotPrincipal", {"AWS": chain}, effect="Deny")
    without_role = _queue_policy("NotPrincipal", {"AWS": [SESSION_ARN, ACCOUNT]}, effect="Deny")
    without_session = _queue_policy("NotPrincipal", {"AWS": [LOYALTY_ROLE_ARN, ACCOUNT]}, effect="Deny")

    assert _send(loyalty_session(), complete, identity_allows=True) is Outcome.ALLOW
    assert _send(loyalty_session(), without_role, identity_allows=True) is Outcome.EXPLICIT_DENY
    assert _send(loyalty_session(), without_session, identity_allows=True) is Outcome.EXPLICIT_DENY
    assert _send(booking_session(), complete, identity_allows=True) is Outcome.EXPLICIT_DENY


def test_not_principal_allow_grants_everyone_not_listed() -> None:
    # NotPrincipal with Allow "allows all principals except the one named in the NotPrincipal
    # element", anonymous callers included.
    queue_policy = _queue_policy("NotPrincipal", {"AWS": [SESSION_ARN, LOYALTY_ROLE_ARN, ACCOUNT]})

    assert _send(Principal.anonymous(), queue_policy) is Outcome.ALLOW
    assert _send(booking_session(), queue_policy) is Outcome.ALLOW
    assert _send(loyalty_session(), queue_policy) is Outcome.IMPLICIT_DENY


def test_evaluator_fills_the_principal_condition_keys() -> None:
    # aws:PrincipalArn holds the role ARN for a role session ("the role session principal is granted
    # the permissions based on the ARN of role that was assumed, and not the ARN of the resulting
    # session"), aws:PrincipalAccount the caller's account.
    condition = {
        "StringEquals": {
            "aws:PrincipalArn": LOYALTY_ROLE_ARN,
            "aws:PrincipalAccount": ACCOUNT,
            "aws:PrincipalType": "AssumedRole",
        },
        "Bool": {"aws:PrincipalIsAWSService": "false"},
    }
    identity = [policy(allow("sns:Publish", BOOKING_TOPIC, Condition=condition))]

    session_decision = evaluate(
        request(loyalty_session(), "sns:Publish", BOOKING_TOPIC), identity_policies=identity
    )
    other_role_decision = evaluate(
        request(booking_session(), "sns:Publish", BOOKING_TOPIC), identity_policies=identity
    )

    assert session_decision.outcome is Outcome.ALLOW
    assert other_role_decision.outcome is Outcome.IMPLICIT_DENY


def test_evaluator_fills_user_and_service_keys() -> None:
    user_condition = {"StringEquals": {"aws:username": "alice", "aws:PrincipalArn": ADMIN_USER_ARN}}
    service_condition = {"StringEquals": {"aws:PrincipalServiceName": "sns.amazonaws.com"}}
    queue_policy = policy(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "sqs:SendMessage",
            "Resource": BOOKING_QUEUE,
            "Condition": service_condition,
        }
    )

    user_decision = evaluate(
        request(Principal.user(ADMIN_USER_ARN), "sqs:SendMessage", BOOKING_QUEUE),
        identity_policies=[policy(allow("sqs:SendMessage", BOOKING_QUEUE, Condition=user_condition))],
    )

    assert user_decision.outcome is Outcome.ALLOW
    assert _send(Principal.service("sns.amazonaws.com"), queue_policy) is Outcome.ALLOW
    assert _send(Principal.service("events.amazonaws.com"), queue_policy) is Outcome.IMPLICIT_DENY


def test_context_supplied_keys_take_precedence_over_derived_ones() -> None:
    # The request context is the caller's to give; derived keys only fill gaps.
    identity = [
        policy(
            allow("sns:Publish", BOOKING_TOPIC, Condition={"StringEquals": {"aws:PrincipalArn": "custom"}})
        )
    ]

    decision = evaluate(
        request(loyalty_session(), "sns:Publish", BOOKING_TOPIC, {"AWS:PrincipalArn": "custom"}),
        identity_policies=identity,
    )

    assert decision.outcome is Outcome.ALLOW
