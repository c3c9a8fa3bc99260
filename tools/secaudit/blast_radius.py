"""The blast radius of each role: what an attacker holding its credentials could do, and what it means.

    python -m secaudit.blast_radius            # check docs/blast-radius.md is up to date
    python -m secaudit.blast_radius --write    # regenerate it

For each role of the stack, every action its policies name is tried by ``iam_eval`` on every resource
of the stack (tables and their indexes, queues, the topic, functions, the state machine, log groups,
the loyalty API's route), on every resource its grants name, and on ``*``, with the role's expanded
policies and the resource's own policy. Each allowed pair is reported with the conditions that narrow it
(the attributes a DynamoDB grant may touch...) and with its meaning in business terms, written in
:data:`MEANINGS`: a grant whose meaning is not written there fails the report, so a new permission
cannot go unexplained. What IAM cannot bound is written per role in :data:`BEYOND_IAM`.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iam_eval import AccessRequest, Principal, evaluate
from secaudit.policies import RolePolicies, StackPolicies, stack_policies
from stacktools.template import REPOSITORY_ROOT

DOCS_PATH = REPOSITORY_ROOT / "docs" / "blast-radius.md"
EVERYWHERE = "*"
SAMPLE_CUSTOMER = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"

_FORGE_LOGS = "write log events to any log group of the account: forge or flood logs (not read them)"
_TRACES = "send (forge) X-Ray trace data and read sampling rules; no application data"

MEANINGS: Mapping[tuple[str, str], str] = {
    # (action pattern, resource label) -> what an attacker can do with it, in business terms.
    ("dynamodb:PutItem", "BookingTable"): (
        "create a booking for any customer, flight, price and status, or overwrite an existing one "
        "(IAM cannot tell a new item from a replaced one; only the function's own conditional put keeps "
        "existing bookings)"
    ),
    ("dynamodb:UpdateItem", "BookingTable"): (
        "change these attributes of any booking, e.g. confirm or cancel a booking that is not theirs; "
        "not its customer, flight or amount"
    ),
    ("dynamodb:GetItem", "BookingTable"): "read any booking by its id: customer, flight, amount, status",
    ("dynamodb:Query", "BookingTable/index/byCustomer"): "list any customer's bookings",
    ("dynamodb:UpdateItem", "FlightTable"): (
        "take or release seats on any flight and change which bookings hold them; not its price, route "
        "or schedule"
    ),
    ("dynamodb:GetItem", "FlightTable"): "read the flight catalog, including which bookings hold its seats",
    ("dynamodb:Query", "FlightTable/index/byRoute"): "search the flight catalog",
    ("dynamodb:PutItem", "PaymentTable"): (
        "register a payment method for any booking id, or overwrite any booking's payment with a "
        "registration (IAM cannot tell a new item from a replaced one; only the resolver's conditional "
        "put keeps existing payments)"
    ),
    ("dynamodb:GetItem", "PaymentTable"): (
        "read any booking's payment, including a registered card token until it is charged or voided"
    ),
    ("dynamodb:UpdateItem", "PaymentTable"): (
        "change these attributes of any booking's payment (its status and outcome); not its amount or "
        "currency"
    ),
    (
        "dynamodb:PutItem",
        "LoyaltyTable",
    ): "credit any number of points to any customer, directly in the ledger",
    ("dynamodb:UpdateItem", "LoyaltyTable"): "change any customer's points total, directly in the ledger",
    ("dynamodb:GetItem", "LoyaltyTable"): "read any customer's points total",
    ("sqs:ReceiveMessage", "LoyaltyQueue"): (
        "take confirmed-booking notices off the queue before they are credited (customers lose points)"
    ),
    ("sqs:DeleteMessage", "LoyaltyQueue"): "delete notices it has received: their points are never credited",
    ("sqs:GetQueueAttributes", "LoyaltyQueue"): "read the queue's settings and how many notices wait",
    ("sqs:SendMessage", "BookingDeadLetterQueue"): (
        "put made-up failed bookings in front of the operators who replay them"
    ),
    ("sns:Publish", "BookingTopic"): (
        "publish a booking notice for any booking id and any customer: a CONFIRMED one is credited by "
        "IngestLoyalty within its bounds (at most 5,000.00 in EUR, GBP or USD, once per booking id)"
    ),
    (
        "lambda:InvokeFunction",
        "ReserveBookingFunction",
    ): "create a booking for any customer, flight and amount",
    (
        "lambda:InvokeFunction",
        "CollectPaymentFunction",
    ): "charge the payment method registered for any booking id, at its registered amount only",
    ("lambda:InvokeFunction", "ConfirmBookingFunction"): "confirm any unconfirmed booking",
    ("lambda:InvokeFunction", "NotifyBookingFunction"): (
        "publish a notice for any booking, credited within IngestLoyalty's bounds"
    ),
    ("lambda:InvokeFunction", "RefundPaymentFunction"): (
        "refund any booking's charge, or void its registered payment method"
    ),
    ("lambda:InvokeFunction", "CancelBookingFunction"): "cancel any booking",
    ("states:StartExecution", "BookingStateMachine"): (
        "book for any customer under a new booking id: seats taken (the saga still refuses full and "
        "departed flights); only a payment method registered for that id is charged, and an input naming "
        "another booking is refused"
    ),
    (
        "execute-api:Invoke",
        "LoyaltyApi GET /loyalty/*/get",
    ): "read any customer's points through the loyalty API",
    ("logs:CreateLogGroup", EVERYWHERE): "create log groups in the account",
    ("logs:CreateLogStream", EVERYWHERE): _FORGE_LOGS,
    ("logs:PutLogEvents", EVERYWHERE): _FORGE_LOGS,
    ("logs:Describe*", EVERYWHERE): "list every log group and stream of the account",
    ("logs:FilterLogEvents", EVERYWHERE): "read every log of the account",
    ("logs:GetLogEvents", EVERYWHERE): "read every log of the account",
    ("logs:CreateLogStream", "GraphQLApi log group"): "write (forge) entries in the GraphQL API's log group",
    ("logs:PutLogEvents", "GraphQLApi log group"): "write (forge) entries in the GraphQL API's log group",
    ("xray:*", EVERYWHERE): _TRACES,
    ("logs:*LogDelivery", EVERYWHERE): (
        "create, change or delete the account's log deliveries (where vended logs such as Step Functions' "
        "go): send a service's logs elsewhere or stop them"
    ),
    ("logs:ListLogDeliveries", EVERYWHERE): "list the account's log deliveries",
    ("logs:PutResourcePolicy", EVERYWHERE): (
        "change CloudWatch Logs' resource policies: let a service deliver to, or keep it from, any log group"
    ),
    ("logs:DescribeResourcePolicies", EVERYWHERE): "read CloudWatch Logs' resource policies",
}

_FUNCTION_CREDENTIALS = (
    "Its credentials live in the function's execution environment: code running there (a vulnerable "
    "dependency, an injection) can read them."
)
_APPSYNC_CREDENTIALS = (
    "Only AppSync acting for this stack's GraphQL API can assume it (its trust policy names "
    "appsync.amazonaws.com, the API's ARN and this account), and resolvers run APPSYNC_JS, not arbitrary "
    "code: its credentials do not leave AppSync."
)
BEYOND_IAM: Mapping[str, str] = {
    "ReserveBookingFunctionRole": (
        f"{_FUNCTION_CREDENTIALS} Not bounded by IAM: which customer, flight and amount a new booking "
        "gets, and whether an existing booking is overwritten."
    ),
    "CollectPaymentFunctionRole": (
        f"{_FUNCTION_CREDENTIALS} Not bounded by IAM: the amounts recorded. A real processor bounds "
        "charges by its own API key and idempotency keys; the simulated one trusts its ledger."
    ),
    "ConfirmBookingFunctionRole": (
        f"{_FUNCTION_CREDENTIALS} It reads whole bookings back (ReturnValues ALL_NEW), and any role "
        "with a conditional write can read an item whose condition fails "
        "(ReturnValuesOnConditionCheckFailure has no IAM condition key): reading the booking table is "
        "not bounded."
    ),
    "CancelBookingFunctionRole": (
        f"{_FUNCTION_CREDENTIALS} As ConfirmBooking's: it can read bookings back, and cancel any."
    ),
    "NotifyBookingFunctionRole": (
        f"{_FUNCTION_CREDENTIALS} Not bounded by IAM: what a notice says. IngestLoyalty credits a notice "
        "only if the envelope names the booking topic, the filtered status is the notice's own and the "
        "amount and currency are a real fare's, once per booking id; it reads no other service's table, "
        "so a made-up booking id with a plausible fare is credited. The SNS signature is not verified."
    ),
    "RefundPaymentFunctionRole": (
        f"{_FUNCTION_CREDENTIALS} It can read charges back (ALL_NEW, and on a failed condition)."
    ),
    "IngestLoyaltyFunctionRole": (
        f"{_FUNCTION_CREDENTIALS} This is the most valuable role: the loyalty ledger itself. IAM bounds "
        "the attributes it writes, not the points: keep its code small and its dependencies few."
    ),
    "GetLoyaltyFunctionRole": f"{_FUNCTION_CREDENTIALS} Read-only: points totals.",
    "BookingStateMachineRole": (
        "Only Step Functions running the booking state machine can assume it (its trust policy names "
        "that state machine's ARN and this account). Its grants are the saga's: invoking the six steps "
        "with any input is as strong as each step's own role."
    ),
    "BookingDataSourceRole": _APPSYNC_CREDENTIALS,
    "BookingReadRole": f"{_APPSYNC_CREDENTIALS} Resolvers return only the caller's own bookings.",
    "FlightReadRole": _APPSYNC_CREDENTIALS,
    "LoyaltyDataSourceRole": (
        f"{_APPSYNC_CREDENTIALS} The resolver lets customers read only their own points."
    ),
    "GraphQLApiLoggingRole": "Only AppSync can assume it, to write the API's logs.",
    "PaymentRegistrationRole": (
        f"{_APPSYNC_CREDENTIALS} Not bounded by IAM: which token and amount a registration holds, and "
        "whether a put replaces a payment; registerPaymentMethod puts the catalog price, on condition "
        "that the booking id is new."
    ),
    "ApiGatewayCloudWatchRole": (
        "Only API Gateway can assume it. Its AWS managed policy (AmazonAPIGatewayPushToCloudWatchLogs) "
        "also reads every log of the account: it is account-wide API Gateway configuration, created only "
        "when ConfigureApiGatewayAccountLogging is true."
    ),
}


@dataclass(frozen=True)
class Reach:
    """One action an attacker can take with a role's credentials, on one resource."""

    action: str
    resource: str
    """The resource's label: a logical id, ``Table/index/name``, the API route, or ``*``."""
    limits: tuple[str, ...]
    """What the allowing statements' conditions narrow it to; empty when nothing does."""
    meaning: str


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(role: RolePolicies) -> Iterator[Mapping[str, Any]]:
    for document in role.documents():
        yield from _as_list(document["Statement"])


def _granted_actions(role: RolePolicies) -> list[str]:
    actions = {
        action
        for statement in _statements(role)
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement.get("Action", []))
    }
    return sorted(actions)


def _resources(policies: StackPolicies) -> dict[str, str]:
    """ARN -> label for every resource of the stack an action can be on."""
    resolver = policies.resolver
    found: dict[str, str] = {}
    for logical_id, resource in policies.translated["Resources"].items():
        kind = resource["Type"]
        if kind == "AWS::DynamoDB::Table":
            arn = resolver.get_att(logical_id, "Arn")
            found[arn] = logical_id
            for index in resource["Properties"].get("GlobalSecondaryIndexes", []):
                found[f"{arn}/index/{index['IndexName']}"] = f"{logical_id}/index/{index['IndexName']}"
        elif kind in ("AWS::SQS::Queue", "AWS::Lambda::Function", "AWS::Logs::LogGroup"):
            found[resolver.get_att(logical_id, "Arn")] = logical_id
        elif kind in ("AWS::SNS::Topic", "AWS::StepFunctions::StateMachine"):
            found[resolver.ref(logical_id)] = logical_id
    api = f"arn:aws:execute-api:{resolver.region}:{resolver.account_id}:{resolver.ref('LoyaltyApi')}"
    found[f"{api}/{resolver.ref('Stage')}/GET/loyalty/{SAMPLE_CUSTOMER}/get"] = (
        "LoyaltyApi GET /loyalty/*/get"
    )
    api_id = resolver.get_att("GraphQLApi", "ApiId")
    log_group = f"arn:aws:logs:{resolver.region}:{resolver.account_id}:log-group:/aws/appsync/apis/{api_id}:*"
    found[log_group] = "GraphQLApi log group"
    found[EVERYWHERE] = EVERYWHERE
    return found


def _service_of(arn: str) -> str:
    return arn.split(":")[2] if arn.startswith("arn:") else ""


def _matches(pattern: Any, value: str, *, ignore_case: bool = False) -> bool:
    if ignore_case:
        return fnmatch.fnmatchcase(value.lower(), str(pattern).lower())
    return fnmatch.fnmatchcase(value, str(pattern))


def _limits(role: RolePolicies, action: str, arn: str) -> tuple[str, ...]:
    """The conditions of the Allow statements that grant ``action`` on ``arn`` (none if one has none)."""
    found: list[str] = []
    for statement in _statements(role):
        if statement.get("Effect") != "Allow":
            continue
        if not any(
            _matches(pattern, action, ignore_case=True) for pattern in _as_list(statement.get("Action", []))
        ):
            continue
        if not any(_matches(pattern, arn) for pattern in _as_list(statement.get("Resource", "*"))):
            continue
        condition = statement.get("Condition")
        if not condition:
            return ()
        for operator, keys in condition.items():
            for key, values in keys.items():
                found.append(f"{key} {operator} {', '.join(str(value) for value in _as_list(values))}")
    return tuple(found)


def _meaning(action: str, resource: str) -> str:
    for (pattern, label), meaning in MEANINGS.items():
        if label == resource and _matches(pattern, action, ignore_case=True):
            return meaning
    raise LookupError(f"no business meaning written for {action} on {resource}: add it to MEANINGS")


def reach(policies: StackPolicies) -> dict[str, list[Reach]]:
    """Role logical id -> everything its credentials allow on the stack's resources."""
    resources = _resources(policies)
    resource_policies = policies.resource_policies()
    by_arn = {
        arn: resource_policies.get(label.split(" ", 1)[0])
        for arn, label in resources.items()
        if arn != EVERYWHERE
    }
    account = policies.resolver.account_id
    report: dict[str, list[Reach]] = {}
    for role in sorted(policies.roles.values(), key=lambda r: r.logical_id):
        principal = Principal.role_session(role.arn, "stolen")
        found: list[Reach] = []
        for action in _granted_actions(role):
            service = action.split(":", 1)[0].lower()
            everywhere = evaluate(
                AccessRequest(principal, action, EVERYWHERE), identity_policies=role.documents()
            ).allowed
            candidates = (
                [EVERYWHERE] if everywhere else [arn for arn in resources if _service_of(arn) == service]
            )
            for arn in candidates:
                decision = evaluate(
                    AccessRequest(principal, action, arn),
                    identity_policies=role.documents(),
                    resource_policy=by_arn.get(arn),
                    resource_account=account,
                )
                if decision.allowed:
                    label = resources[arn]
                    found.append(Reach(action, label, _limits(role, action, arn), _meaning(action, label)))
        report[role.logical_id] = sorted(found, key=lambda item: (item.action, item.resource))
    return report


def beyond_iam(role: str) -> str:
    """What IAM cannot bound for the role, as written in BEYOND_IAM; a new role must say it."""
    if role not in BEYOND_IAM:
        raise LookupError(
            f"nothing written about what IAM cannot bound for {role}: add it to BEYOND_IAM in "
            "tools/secaudit/blast_radius.py"
        )
    return BEYOND_IAM[role]


def render(policies: StackPolicies, report: Mapping[str, list[Reach]]) -> str:
    lines = [
        "# Blast radius: if a role's credentials are stolen",
        "",
        "Generated by `python -m secaudit.blast_radius --write` from `template.yaml`. Do not edit: CI fails",
        "when this file is out of date.",
        "",
        "For each role of the stack: every action its policies name, tried by `iam_eval` on every resource",
        "of the stack, on every resource its grants name and on `*`, with the role's expanded policies and",
        "the resource's own policy (queue, topic, function and API policies). Each row is something an",
        "attacker holding the role's credentials can do; everything else on the stack is refused. *Limited",
        "to* shows the conditions that narrow a grant. The [authorization matrix](authorization-matrix.md)",
        "shows the same boundaries from the resources' side; the [threat model](threat-model.md) says how",
        "each entry point is guarded.",
        "",
    ]
    for role in sorted(report):
        users = ", ".join(policies.roles[role].used_by) or "-"
        lines += [f"## {role}", "", f"Acts for: {users}.", ""]
        lines += ["| action | resource | limited to | what an attacker can do |", "|---|---|---|---|"]
        for item in report[role]:
            limits = "<br>".join(f"`{limit}`" for limit in item.limits) or "-"
            lines.append(f"| `{item.action}` | {item.resource} | {limits} | {item.meaning} |")
        lines += ["", beyond_iam(role), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate docs/blast-radius.md")
    args = parser.parse_args(argv)
    policies = stack_policies()
    text = render(policies, reach(policies))
    if args.write:
        DOCS_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {DOCS_PATH.relative_to(REPOSITORY_ROOT)}")
        return 0
    if not DOCS_PATH.is_file() or DOCS_PATH.read_text(encoding="utf-8") != text:
        where = DOCS_PATH.relative_to(REPOSITORY_ROOT)
        print(f"{where} is out of date: run `python -m secaudit.blast_radius --write`")
        return 1
    print(f"blast radius: {len(policies.roles)} roles, every reach explained")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
