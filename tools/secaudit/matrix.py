"""Who may call the loyalty REST API and start the booking state machine, decided offline.

Every role of the stack and outsiders of the same account (a role granted ``execute-api:*`` and
``states:*`` on everything, a user granted the same, an anonymous caller) x every method, path and
stage of the loyalty API, and the Step Functions actions on the booking state machine. Each cell is
decided by ``iam_eval`` from the expanded policies of ``template.yaml`` and the API's resource policy,
and must match :func:`intended` exactly. The same cells are exercised live against the local API
Gateway by ``tests/e2e/test_loyalty_api_matrix.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iam_eval import AccessRequest, Decision, Principal, evaluate
from secaudit.policies import StackPolicies, stack_policies

API_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
API_PATHS = ("loyalty/{customer}/get", "loyalty/{customer}/history", "loyalty")
STATE_MACHINE_ACTIONS = ("states:StartExecution", "states:StartSyncExecution", "states:StopExecution")
OUTSIDER_ROLE = "outsider-role"
OUTSIDER_USER = "outsider-user"
ANONYMOUS = "anonymous"
OUTSIDER_GRANT: Mapping[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["execute-api:*", "states:*"], "Resource": "*"}],
}
SAMPLE_CUSTOMER = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"


@dataclass(frozen=True)
class Caller:
    name: str
    principal: Principal
    policies: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Cell:
    caller: str
    action: str
    target: str
    """``METHOD stage/path`` for the API, the state machine's logical id otherwise."""


def callers(policies: StackPolicies) -> list[Caller]:
    account = policies.resolver.account_id
    found = [
        Caller(role.logical_id, Principal.role_session(role.arn, "matrix"), tuple(role.documents()))
        for role in policies.roles.values()
    ]
    found.append(
        Caller(
            OUTSIDER_ROLE,
            Principal.role_session(f"arn:aws:iam::{account}:role/{OUTSIDER_ROLE}", "matrix"),
            (OUTSIDER_GRANT,),
        )
    )
    found.append(
        Caller(
            OUTSIDER_USER, Principal.user(f"arn:aws:iam::{account}:user/{OUTSIDER_USER}"), (OUTSIDER_GRANT,)
        )
    )
    found.append(Caller(ANONYMOUS, Principal.anonymous(), ()))
    return found


def api_targets(policies: StackPolicies) -> list[tuple[str, str]]:
    """(execute-api ARN, label) for every method x path x stage (the deployed stage and another)."""
    resolver = policies.resolver
    api = f"arn:aws:execute-api:{resolver.region}:{resolver.account_id}:{resolver.ref('LoyaltyApi')}"
    stages = (resolver.ref("Stage"), "prod" if resolver.ref("Stage") != "prod" else "dev")
    return [
        (f"{api}/{stage}/{method}/{path.format(customer=SAMPLE_CUSTOMER)}", f"{method} {stage}/{path}")
        for stage in stages
        for method in API_METHODS
        for path in API_PATHS
    ]


def decide(policies: StackPolicies) -> dict[Cell, Decision]:
    decisions: dict[Cell, Decision] = {}
    account = policies.resolver.account_id
    api_policy = policies.loyalty_api_policy()
    state_machine = policies.resolver.ref("BookingStateMachine")
    for caller in callers(policies):
        identity = [] if caller.principal.kind.value in ("anonymous", "service") else list(caller.policies)
        for arn, label in api_targets(policies):
            request = AccessRequest(caller.principal, "execute-api:Invoke", arn)
            decisions[Cell(caller.name, "execute-api:Invoke", label)] = evaluate(
                request, identity_policies=identity, resource_policy=api_policy, resource_account=account
            )
        for action in STATE_MACHINE_ACTIONS:
            target = (
                state_machine
                if action != "states:StopExecution"
                else state_machine.replace(":stateMachine:", ":execution:") + ":some-execution"
            )
            decisions[Cell(caller.name, action, "BookingStateMachine")] = evaluate(
                AccessRequest(caller.principal, action, target),
                identity_policies=identity,
                resource_account=account,
            )
    return decisions


def intended(policies: StackPolicies) -> set[Cell]:
    """The only cells that may be allowed.

    Step Functions has no resource-based policy to keep out a same-account principal that is granted
    ``states:*`` on everything: such grants must be kept out of the account itself (SCPs, permission
    boundaries, code review). The matrix shows it rather than hiding it.
    """
    stage = policies.resolver.ref("Stage")
    return {
        Cell("LoyaltyDataSourceRole", "execute-api:Invoke", f"GET {stage}/loyalty/{{customer}}/get"),
        Cell("BookingDataSourceRole", "states:StartExecution", "BookingStateMachine"),
        *(
            Cell(outsider, action, "BookingStateMachine")
            for outsider in (OUTSIDER_ROLE, OUTSIDER_USER)
            for action in STATE_MACHINE_ACTIONS
        ),
    }


def allowed_cells(decisions: Mapping[Cell, Decision]) -> set[Cell]:
    return {cell for cell, decision in decisions.items() if decision.allowed}


def render(decisions: Mapping[Cell, Decision], expected: set[Cell]) -> str:
    lines = ["| caller | action | target | decision |", "|---|---|---|---|"]
    for cell in sorted(allowed_cells(decisions) | expected, key=lambda c: (c.caller, c.action, c.target)):
        verdict = "allowed" if decisions[cell].allowed else "refused"
        mark = "" if (cell in expected) == decisions[cell].allowed else " UNEXPECTED"
        lines.append(f"| {cell.caller} | {cell.action} | {cell.target} | {verdict}{mark} |")
    return "\n".join(lines)


def check(policies: StackPolicies | None = None) -> tuple[bool, str, int]:
    stack = policies or stack_policies()
    decisions = decide(stack)
    expected = intended(stack)
    ok = allowed_cells(decisions) == expected
    return ok, render(decisions, expected), len(decisions)


def main(argv: Sequence[str] | None = None) -> int:
    ok, table, cells = check()
    print(table)
    verdict = "only the intended cells are allowed" if ok else "UNEXPECTED cells: see above"
    print(f"\n{cells} cells decided; {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
