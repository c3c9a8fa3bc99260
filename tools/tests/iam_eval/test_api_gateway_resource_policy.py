"""An API Gateway resource policy that lets one role invoke the loyalty endpoint and denies every
other caller, the way the airline restricts its private APIs."""

from __future__ import annotations

import pytest

from iam_eval import Outcome, Principal, evaluate
from tests.iam_eval.builders import (
    ACCOUNT,
    ADMIN_USER_ARN,
    API_ARN,
    LOYALTY_GET_CUSTOMER_42,
    LOYALTY_GET_PATTERN,
    LOYALTY_ROLE_ARN,
    OTHER_ACCOUNT,
    allow,
    booking_session,
    loyalty_session,
    policy,
    request,
)

API_POLICY = policy(
    {
        "Sid": "LoyaltyFunctionMayInvoke",
        "Effect": "Allow",
        "Principal": {"AWS": LOYALTY_ROLE_ARN},
        "Action": "execute-api:Invoke",
        "Resource": LOYALTY_GET_PATTERN,
    },
    {
        "Sid": "EveryoneElseIsDenied",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": f"{API_ARN}/*",
        "Condition": {"StringNotEquals": {"aws:PrincipalArn": LOYALTY_ROLE_ARN}},
    },
)
INVOKE_ANY_API = policy(allow("execute-api:Invoke", "*"))


def _invoke(
    principal: Principal, identity_policies: list[dict[str, object]], resource_account: str | None = None
) -> Outcome:
    return evaluate(
        request(principal, "execute-api:Invoke", LOYALTY_GET_CUSTOMER_42),
        identity_policies=identity_policies,
        resource_policy=API_POLICY,
        resource_account=resource_account,
    ).outcome


def test_allowed_role_invokes_without_an_identity_policy() -> None:
    # Same account: the resource-based policy names the role, which is enough on its own.
    assert _invoke(loyalty_session(), []) is Outcome.ALLOW


def test_same_account_role_allowed_by_its_identity_policy_is_still_denied() -> None:
    # An explicit Deny in the resource-based policy overrides the role's execute-api:Invoke on "*".
    assert _invoke(booking_session(), [INVOKE_ANY_API]) is Outcome.EXPLICIT_DENY


@pytest.mark.parametrize(
    "principal",
    [Principal.root(ACCOUNT), Principal.user(ADMIN_USER_ARN)],
    ids=["root", "user"],
)
def test_root_user_and_iam_users_are_denied(principal: Principal) -> None:
    # aws:PrincipalArn of the root user is arn:aws:iam::ACCOUNT:root and of a user its user ARN;
    # neither equals the loyalty role, so the Deny applies.
    identity = [INVOKE_ANY_API] if principal.kind.value == "user" else []

    assert _invoke(principal, identity) is Outcome.EXPLICIT_DENY


def test_anonymous_caller_is_denied() -> None:
    # An anonymous request has no aws:PrincipalArn; "If the policy condition requires that the key
    # is not matched ... and the right key is not present, the condition is true", so the Deny
    # applies.
    assert _invoke(Principal.anonymous(), []) is Outcome.EXPLICIT_DENY


def test_role_of_the_same_name_in_another_account_is_denied() -> None:
    namesake = Principal.role_session(f"arn:aws:iam::{OTHER_ACCOUNT}:role/airline/loyalty-get-fn", "sync")

    assert _invoke(namesake, [INVOKE_ANY_API], resource_account=ACCOUNT) is Outcome.EXPLICIT_DENY


def test_deny_reason_names_the_statement() -> None:
    decision = evaluate(
        request(booking_session(), "execute-api:Invoke", LOYALTY_GET_CUSTOMER_42),
        identity_policies=[INVOKE_ANY_API],
        resource_policy=API_POLICY,
    )

    assert decision.reasons == ("explicitly denied by resource policy statement 'EveryoneElseIsDenied'",)
