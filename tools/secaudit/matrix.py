"""The authorization matrix: who may act on each resource of the stack that has a resource policy, and
on the state machine (which cannot have one), decided offline.

    python -m secaudit.matrix            # print it; exit 1 if a cell is allowed that is not intended
    python -m secaudit.matrix --write    # also regenerate docs/authorization-matrix.md

Callers: every role of the stack; AWS services acting for the stack (SNS delivering for the booking
topic, API Gateway invoking for the loyalty API, CloudWatch notifying for the stack's alarms) and for
something else; over-granted principals of the same account (a role and a user granted
``execute-api:*``, ``states:*``, ``sqs:*``, ``sns:*`` and ``lambda:*`` on everything); an anonymous
caller. Targets: every method, path and stage of the loyalty API; sending to, receiving from and
purging the loyalty queue and its dead-letter queue; publishing to and subscribing to the booking topic
and the alarm topic; invoking each function; starting and stopping the saga. Each cell is decided by
``iam_eval`` from the expanded policies of ``template.yaml`` and the resource's own policy, and must
match :func:`intended` exactly. ``tests/e2e/test_resource_policy_matrix.py`` tries the same cells
against the running local cloud.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iam_eval import AccessRequest, ContextValue, Decision, Principal, evaluate
from secaudit.policies import StackPolicies, stack_policies
from stacktools.template import REPOSITORY_ROOT

DOCS_PATH = REPOSITORY_ROOT / "docs" / "authorization-matrix.md"

API_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
API_PATHS = ("loyalty/{customer}/get", "loyalty/{customer}/history", "loyalty")
QUEUES = ("LoyaltyQueue", "LoyaltyDeadLetterQueue")
QUEUE_ACTIONS = ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue")
TOPIC = "BookingTopic"
TOPIC_ACTIONS = ("sns:Publish", "sns:Subscribe")
ALARM_TOPIC = "AlarmTopic"
STATE_MACHINE = "BookingStateMachine"
STATE_MACHINE_ACTIONS = ("states:StartExecution", "states:StartSyncExecution", "states:StopExecution")
ATTACKER_ENDPOINT = "https://attacker.example.com/notices"

OUTSIDER_ROLE = "outsider-role"
OUTSIDER_USER = "outsider-user"
ANONYMOUS = "anonymous"
OUTSIDER_ACTIONS = ("execute-api:*", "states:*", "sqs:*", "sns:*", "lambda:*")
OUTSIDER_GRANT: Mapping[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": list(OUTSIDER_ACTIONS), "Resource": "*"}],
}
SNS_FOR_BOOKING_TOPIC = "sns.amazonaws.com for BookingTopic"
SNS_FOR_ANOTHER_TOPIC = "sns.amazonaws.com for another topic"
API_GATEWAY_FOR_LOYALTY_API = "apigateway.amazonaws.com for LoyaltyApi"
API_GATEWAY_FOR_ANOTHER_API = "apigateway.amazonaws.com for another API"
CLOUDWATCH_FOR_STACK_ALARM = "cloudwatch.amazonaws.com for an alarm of the stack"
CLOUDWATCH_FOR_ANOTHER_ALARM = "cloudwatch.amazonaws.com for another alarm"
SAMPLE_CUSTOMER = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"

# What keeps everyone else out of each target, as the matrix document explains it.
LIMITS = {
    "LoyaltyApi": (
        "Its resource policy allows the AppSync loyalty data-source role on one route of one stage, and "
        "explicitly denies every other principal (`StringNotEquals aws:PrincipalArn`): in the same account "
        "an identity policy's Allow would otherwise be enough."
    ),
    "LoyaltyQueue": (
        "Its queue policy denies `sqs:SendMessage` to every sender but SNS delivering for the booking "
        "topic (`ArnNotEquals aws:SourceArn`) and receiving, deleting and purging to every principal but "
        "IngestLoyalty's role (`StringNotEquals aws:PrincipalArn`): a message on it is worth points."
    ),
    "LoyaltyDeadLetterQueue": (
        "The same queue policy denies `sqs:SendMessage` to every sender but SNS delivering for the booking "
        "topic. Reading, redriving and purging it is the account operators' job, so identity policies "
        "decide that: a principal granted `sqs:*` on `*` can read failed notices or purge them."
    ),
    "BookingTopic": (
        "Its topic policy denies `sns:Publish` to every principal but NotifyBooking's role and "
        "`sns:Subscribe` to any endpoint but the loyalty queue."
    ),
    "AlarmTopic": (
        "Its topic policy lets CloudWatch publish for the stack's own alarms (`aws:SourceArn` an alarm "
        "named after the stack, `aws:SourceAccount` the account) and denies `sns:Publish` to everyone "
        "else (`ArnNotLike aws:SourceArn`), so no one can send operators a false alarm or a false all-clear. "
        "Subscribing is the account operators' job (a pager, a chat channel), so identity policies decide "
        "it: an alarm notice holds no customer data."
    ),
    "functions": (
        "A Lambda function's policy holds only Allow statements (AddPermission cannot add a Deny): "
        "API Gateway may invoke GetLoyalty for the loyalty API's route, and the state machine's role has "
        "its own grant for the saga's six steps. A principal of the account whose identity policy grants "
        "`lambda:InvokeFunction` on `*` can invoke any function, so what each function checks bounds "
        "what it will do for such a caller (see [blast-radius.md](blast-radius.md)); keeping such grants "
        "out of the account (SCPs, permissions boundaries, review) is what limits the rest."
    ),
    "BookingStateMachine": (
        "Step Functions has no resource-based policy: a principal of the account whose identity policy "
        "grants `states:*` can start or stop executions. The saga checks what it is asked to do itself "
        "(the flight exists and has not departed, a seat is left, the catalog price is charged), and only "
        "the booking data-source role is granted StartExecution by the stack."
    ),
}


@dataclass(frozen=True)
class Caller:
    name: str
    principal: Principal
    policies: tuple[Mapping[str, Any], ...]
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    """Keys the service sets when it acts for a resource (``aws:SourceArn``, ``aws:SourceAccount``)."""


@dataclass(frozen=True)
class Target:
    resource: str
    """The logical id of the resource (for the document's sections)."""
    label: str
    """``METHOD stage/path`` for the API, the resource's logical id otherwise."""
    action: str
    arn: str
    resource_policy: Mapping[str, Any] | None
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    caller: str
    action: str
    target: str
    """``METHOD stage/path`` for the API, the resource's logical id otherwise."""


def callers(policies: StackPolicies) -> list[Caller]:
    resolver = policies.resolver
    account, region = resolver.account_id, resolver.region
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
    api = f"arn:aws:execute-api:{region}:{account}:{resolver.ref('LoyaltyApi')}"
    for name, service, source in (
        (SNS_FOR_BOOKING_TOPIC, "sns.amazonaws.com", resolver.ref(TOPIC)),
        (SNS_FOR_ANOTHER_TOPIC, "sns.amazonaws.com", f"arn:aws:sns:{region}:{account}:lookalike"),
        (
            API_GATEWAY_FOR_LOYALTY_API,
            "apigateway.amazonaws.com",
            f"{api}/{resolver.ref('Stage')}/GET/loyalty/{SAMPLE_CUSTOMER}/get",
        ),
        (
            API_GATEWAY_FOR_ANOTHER_API,
            "apigateway.amazonaws.com",
            f"arn:aws:execute-api:{region}:{account}:lookalike/prod/GET/loyalty/{SAMPLE_CUSTOMER}/get",
        ),
        (
            CLOUDWATCH_FOR_STACK_ALARM,
            "cloudwatch.amazonaws.com",
            f"arn:aws:cloudwatch:{region}:{account}:alarm:{resolver.stack_name}-bookings-failing",
        ),
        (
            CLOUDWATCH_FOR_ANOTHER_ALARM,
            "cloudwatch.amazonaws.com",
            f"arn:aws:cloudwatch:{region}:{account}:alarm:lookalike-bookings-failing",
        ),
    ):
        context = {"aws:SourceArn": source, "aws:SourceAccount": account}
        found.append(Caller(name, Principal.service(service), (), context))
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


def functions(policies: StackPolicies) -> list[str]:
    return sorted(
        logical_id
        for logical_id, resource in policies.translated["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    )


def targets(policies: StackPolicies) -> list[Target]:
    resolver = policies.resolver
    resource_policies = policies.resource_policies()
    found = [
        Target("LoyaltyApi", label, "execute-api:Invoke", arn, resource_policies["LoyaltyApi"])
        for arn, label in api_targets(policies)
    ]
    found += [
        Target(queue, queue, action, resolver.get_att(queue, "Arn"), resource_policies.get(queue))
        for queue in QUEUES
        for action in QUEUE_ACTIONS
    ]
    found += [
        Target(
            TOPIC,
            TOPIC,
            action,
            resolver.ref(TOPIC),
            resource_policies.get(TOPIC),
            {"sns:Endpoint": ATTACKER_ENDPOINT, "sns:Protocol": "https"} if action == "sns:Subscribe" else {},
        )
        for action in TOPIC_ACTIONS
    ]
    found += [
        Target(
            ALARM_TOPIC,
            ALARM_TOPIC,
            action,
            resolver.ref(ALARM_TOPIC),
            resource_policies.get(ALARM_TOPIC),
            {"sns:Endpoint": ATTACKER_ENDPOINT, "sns:Protocol": "https"} if action == "sns:Subscribe" else {},
        )
        for action in TOPIC_ACTIONS
    ]
    found += [
        Target(
            "functions",
            function,
            "lambda:InvokeFunction",
            resolver.get_att(function, "Arn"),
            resource_policies.get(function),
        )
        for function in functions(policies)
    ]
    state_machine = resolver.ref(STATE_MACHINE)
    found += [
        Target(
            STATE_MACHINE,
            STATE_MACHINE,
            action,
            state_machine
            if action != "states:StopExecution"
            else state_machine.replace(":stateMachine:", ":execution:") + ":some-execution",
            None,
        )
        for action in STATE_MACHINE_ACTIONS
    ]
    return found


def decide(policies: StackPolicies) -> dict[Cell, Decision]:
    decisions: dict[Cell, Decision] = {}
    account = policies.resolver.account_id
    every_target = targets(policies)
    for caller in callers(policies):
        identity = [] if caller.principal.kind.value in ("anonymous", "service") else list(caller.policies)
        for target in every_target:
            request = AccessRequest(
                caller.principal, target.action, target.arn, {**caller.context, **target.context}
            )
            decisions[Cell(caller.name, target.action, target.label)] = evaluate(
                request,
                identity_policies=identity,
                resource_policy=target.resource_policy,
                resource_account=account,
            )
    return decisions


SAGA_STEPS = (
    "ReserveBookingFunction",
    "CollectPaymentFunction",
    "ConfirmBookingFunction",
    "NotifyBookingFunction",
    "RefundPaymentFunction",
    "CancelBookingFunction",
)


def intended(policies: StackPolicies) -> set[Cell]:
    """The only cells that may be allowed (see :data:`LIMITS` for why the outsiders' cells are)."""
    stage = policies.resolver.ref("Stage")
    outsiders = (OUTSIDER_ROLE, OUTSIDER_USER)
    return {
        Cell("LoyaltyDataSourceRole", "execute-api:Invoke", f"GET {stage}/loyalty/{{customer}}/get"),
        Cell("BookingDataSourceRole", "states:StartExecution", STATE_MACHINE),
        *(Cell(SNS_FOR_BOOKING_TOPIC, "sqs:SendMessage", queue) for queue in QUEUES),
        Cell("IngestLoyaltyFunctionRole", "sqs:ReceiveMessage", "LoyaltyQueue"),
        Cell("IngestLoyaltyFunctionRole", "sqs:DeleteMessage", "LoyaltyQueue"),
        Cell("NotifyBookingFunctionRole", "sns:Publish", TOPIC),
        Cell(CLOUDWATCH_FOR_STACK_ALARM, "sns:Publish", ALARM_TOPIC),
        *(Cell(outsider, "sns:Subscribe", ALARM_TOPIC) for outsider in outsiders),
        *(Cell("BookingStateMachineRole", "lambda:InvokeFunction", step) for step in SAGA_STEPS),
        Cell(API_GATEWAY_FOR_LOYALTY_API, "lambda:InvokeFunction", "GetLoyaltyFunction"),
        *(
            Cell(outsider, action, STATE_MACHINE)
            for outsider in outsiders
            for action in STATE_MACHINE_ACTIONS
        ),
        *(
            Cell(outsider, "lambda:InvokeFunction", function)
            for outsider in outsiders
            for function in functions(policies)
        ),
        *(
            Cell(outsider, action, "LoyaltyDeadLetterQueue")
            for outsider in outsiders
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue")
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


def document(policies: StackPolicies, decisions: Mapping[Cell, Decision], expected: set[Cell]) -> str:
    """docs/authorization-matrix.md: per resource, what limits it, the cells allowed and the count refused."""
    lines = [
        "# Authorization matrix",
        "",
        "Generated by `python -m secaudit.matrix --write` from `template.yaml` (every role's final",
        "policies, SAM policy templates expanded, and each resource's own policy). Do not edit: CI fails",
        "when this file is out of date. `tests/e2e/test_resource_policy_matrix.py` tries the same cells",
        "against the running local cloud.",
        "",
        "Callers: every role of the stack; SNS, API Gateway and CloudWatch acting for the stack's topic, "
        "API and alarms, and for others; a role and a user of the same account granted "
        f"`{'`, `'.join(OUTSIDER_ACTIONS)}` on `*`; an anonymous caller. "
        f"{len(decisions)} cells are decided by `iam_eval`; only those listed below are allowed.",
        "",
    ]
    by_resource: dict[str, list[Target]] = {}
    for target in targets(policies):
        by_resource.setdefault(target.resource, []).append(target)
    for resource, resource_targets in by_resource.items():
        labels = {(target.action, target.label) for target in resource_targets}
        cells = [cell for cell in decisions if (cell.action, cell.target) in labels]
        allowed = sorted(
            (cell for cell in cells if decisions[cell].allowed),
            key=lambda c: (c.target, c.action, c.caller),
        )
        title = "Each function" if resource == "functions" else resource
        lines += [f"## {title}", "", LIMITS[resource], ""]
        lines += ["| target | action | allowed caller |", "|---|---|---|"]
        for cell in allowed:
            mark = "" if cell in expected else " **UNEXPECTED**"
            lines.append(f"| {cell.target} | `{cell.action}` | {cell.caller}{mark} |")
        lines += ["", f"Refused: the other {len(cells) - len(allowed)} cells.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def check(policies: StackPolicies | None = None) -> tuple[bool, str, int]:
    stack = policies or stack_policies()
    decisions = decide(stack)
    expected = intended(stack)
    ok = allowed_cells(decisions) == expected
    return ok, render(decisions, expected), len(decisions)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate docs/authorization-matrix.md")
    args = parser.parse_args(argv)
    policies = stack_policies()
    decisions = decide(policies)
    expected = intended(policies)
    ok = allowed_cells(decisions) == expected
    print(render(decisions, expected))
    text = document(policies, decisions, expected)
    if args.write:
        DOCS_PATH.write_text(text, encoding="utf-8")
    stale = not args.write and (not DOCS_PATH.is_file() or DOCS_PATH.read_text(encoding="utf-8") != text)
    verdict = "only the intended cells are allowed" if ok else "UNEXPECTED cells: see above"
    print(f"\n{len(decisions)} cells decided; {verdict}", file=sys.stdout if ok else sys.stderr)
    if stale:
        where = DOCS_PATH.relative_to(REPOSITORY_ROOT)
        print(f"{where} is out of date: run `python -m secaudit.matrix --write`", file=sys.stderr)
    return 0 if ok and not stale else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
