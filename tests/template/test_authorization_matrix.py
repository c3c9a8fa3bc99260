"""The authorization matrix, offline from template.yaml: only the intended cells are allowed, and the
changes that would open the loyalty API (which no linter notices) show up as unexpected cells."""

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
    stack_policies,
)
from tests.support.template import project_template


@pytest.fixture(scope="module")
def policies() -> StackPolicies:
    return stack_policies()


def variant(change: Callable[[dict[str, Any]], None]) -> StackPolicies:
    template = copy.deepcopy(project_template())
    change(template)
    return stack_policies(template)


def test_only_the_intended_cells_are_allowed(policies: StackPolicies) -> None:
    decisions = decide(policies)

    assert allowed_cells(decisions) == intended(policies)
    assert len(decisions) > 500


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
