"""The least-privilege audit's own rules, on the real template's policies with chosen observations."""

from __future__ import annotations

import pytest

from tests.support.audit import (
    Allowance,
    RoleAudit,
    StackPolicies,
    Use,
    audit,
    load_allowances,
    stack_policies,
)
from tests.support.local_cloud import STACK_NAME

LOYALTY_TABLE = "${LoyaltyTable.Arn}"


@pytest.fixture(scope="module")
def policies() -> StackPolicies:
    return stack_policies(stack_name=STACK_NAME)


def result_for(
    policies: StackPolicies, uses: set[Use], role: str, allowances: list[Allowance] | None = None
) -> RoleAudit:
    [result] = [
        r
        for r in audit(policies, uses, load_allowances() if allowances is None else allowances)
        if r.role == role
    ]
    return result


def test_a_use_within_the_grant_marks_it_used(policies: StackPolicies) -> None:
    result = result_for(
        policies,
        {Use("GetLoyaltyFunctionRole", "dynamodb:GetItem", LOYALTY_TABLE, True)},
        "GetLoyaltyFunctionRole",
    )

    assert not result.failed
    assert [(g.action, g.resource) for g in result.granted_used] == [("dynamodb:GetItem", LOYALTY_TABLE)]


def test_code_calling_an_ungranted_action_fails_the_audit(policies: StackPolicies) -> None:
    uses = {
        Use("GetLoyaltyFunctionRole", "dynamodb:GetItem", LOYALTY_TABLE, True),
        Use("GetLoyaltyFunctionRole", "dynamodb:Query", LOYALTY_TABLE, True),
    }

    result = result_for(policies, uses, "GetLoyaltyFunctionRole")

    assert result.failed
    assert [(u.action, why) for u, why in result.ungranted] == [
        ("dynamodb:Query", "not granted by the template's policies")
    ]


def test_a_call_the_local_cloud_refused_fails_the_audit(policies: StackPolicies) -> None:
    uses = {
        Use("GetLoyaltyFunctionRole", "dynamodb:GetItem", LOYALTY_TABLE, True),
        Use("GetLoyaltyFunctionRole", "dynamodb:PutItem", LOYALTY_TABLE, False),
    }

    assert (
        result_for(policies, uses, "GetLoyaltyFunctionRole").ungranted[0][1] == "refused by the local cloud"
    )


def test_a_grant_nobody_uses_fails_unless_explained(policies: StackPolicies) -> None:
    unexplained = result_for(policies, set(), "GetLoyaltyFunctionRole", allowances=[])
    explained = result_for(policies, set(), "GetLoyaltyFunctionRole")

    assert ("dynamodb:GetItem", LOYALTY_TABLE) in [(g.action, g.resource) for g in unexplained.granted_unused]
    assert ("logs:PutLogEvents", "*") in [(g.action, g.resource) for g in unexplained.granted_unused]
    assert [(g.action, g.resource) for g in explained.granted_unused] == [("dynamodb:GetItem", LOYALTY_TABLE)]
    assert {allowance.name for _, allowance in explained.allowed} == {"lambda-service-logs", "x-ray-tracing"}


def test_the_generated_policy_is_what_was_used(policies: StackPolicies) -> None:
    uses = {
        Use("IngestLoyaltyFunctionRole", action, "${LoyaltyQueue.Arn}", True)
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
    } | {
        Use("IngestLoyaltyFunctionRole", a, LOYALTY_TABLE, True)
        for a in ("dynamodb:PutItem", "dynamodb:UpdateItem")
    }

    result = result_for(policies, uses, "IngestLoyaltyFunctionRole")

    assert not result.failed
    assert result.generated_policy()["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": [LOYALTY_TABLE],
        },
        {
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            "Resource": ["${LoyaltyQueue.Arn}"],
        },
    ]


def test_every_allowance_has_a_reason_and_a_name() -> None:
    allowances = load_allowances()

    assert allowances
    assert all(a.reason and a.name for a in allowances)
    assert len({a.name for a in allowances}) == len(allowances)
