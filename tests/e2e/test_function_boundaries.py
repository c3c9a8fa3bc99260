"""Each function's role, used directly against the local AWS endpoint: what its grant covers works,
anything else is refused with AccessDenied."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.local_cloud import LocalCloud
from tests.support.template import REPOSITORY_ROOT

pytestmark = pytest.mark.local_cloud

Call = Callable[[Any, dict[str, str]], Any]


def _key() -> dict[str, Any]:
    return {"id": {"S": str(uuid.uuid4())}}


OUTSIDE_GRANTS: list[tuple[str, str, str, Call]] = [
    (
        "ReserveBookingFunctionRole",
        "dynamodb",
        "delete a booking",
        lambda c, o: c.delete_item(TableName=o["BookingTableName"], Key=_key()),
    ),
    (
        "ReserveBookingFunctionRole",
        "dynamodb",
        "read a booking",
        lambda c, o: c.get_item(TableName=o["BookingTableName"], Key=_key()),
    ),
    (
        "ConfirmBookingFunctionRole",
        "dynamodb",
        "create a booking",
        lambda c, o: c.put_item(TableName=o["BookingTableName"], Item=_key()),
    ),
    (
        "CollectPaymentFunctionRole",
        "dynamodb",
        "touch the booking table",
        lambda c, o: c.put_item(TableName=o["BookingTableName"], Item=_key()),
    ),
    (
        "RefundPaymentFunctionRole",
        "dynamodb",
        "scan payments",
        lambda c, o: c.scan(TableName=o["PaymentTableName"]),
    ),
    (
        "NotifyBookingFunctionRole",
        "sqs",
        "send to the loyalty queue directly",
        lambda c, o: c.send_message(QueueUrl=o["LoyaltyQueueUrl"], MessageBody="{}"),
    ),
    (
        "IngestLoyaltyFunctionRole",
        "dynamodb",
        "query the customer's ledger",
        lambda c, o: c.query(
            TableName=o["LoyaltyTableName"],
            KeyConditionExpression="customerId = :c",
            ExpressionAttributeValues={":c": {"S": "x"}},
        ),
    ),
    (
        "GetLoyaltyFunctionRole",
        "dynamodb",
        "credit points",
        lambda c, o: c.put_item(
            TableName=o["LoyaltyTableName"], Item={"customerId": {"S": "x"}, "sk": {"S": "TOTAL"}}
        ),
    ),
    (
        "BookingStateMachineRole",
        "dynamodb",
        "read a flight",
        lambda c, o: c.get_item(TableName=o["FlightTableName"], Key=_key()),
    ),
    (
        "FlightReadRole",
        "dynamodb",
        "change seats",
        lambda c, o: c.update_item(
            TableName=o["FlightTableName"],
            Key=_key(),
            UpdateExpression="SET seatsAvailable = :n",
            ExpressionAttributeValues={":n": {"N": "999"}},
        ),
    ),
    (
        "BookingDataSourceRole",
        "stepfunctions",
        "list executions",
        lambda c, o: c.list_executions(stateMachineArn=o["BookingStateMachineArn"]),
    ),
]

WITHIN_GRANTS: list[tuple[str, str, str, Call]] = [
    (
        "GetLoyaltyFunctionRole",
        "dynamodb",
        "read a total",
        lambda c, o: c.get_item(
            TableName=o["LoyaltyTableName"],
            Key={"customerId": {"S": "x"}, "sk": {"S": "TOTAL"}},
            ProjectionExpression="points",
        ),
    ),
    (
        "CollectPaymentFunctionRole",
        "dynamodb",
        "record a charge",
        lambda c, o: c.update_item(
            TableName=o["PaymentTableName"],
            Key={"bookingId": {"S": str(uuid.uuid4())}},
            UpdateExpression="SET #status = :captured REMOVE paymentMethod, expiresAt",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":captured": {"S": "CAPTURED"}},
        ),
    ),
    (
        "IngestLoyaltyFunctionRole",
        "sqs",
        "poll its queue",
        lambda c, o: c.receive_message(QueueUrl=o["LoyaltyQueueUrl"], WaitTimeSeconds=0, VisibilityTimeout=0),
    ),
]


def outputs(cloud: LocalCloud) -> dict[str, str]:
    assert cloud.stack is not None
    values = dict(cloud.stack.outputs)
    values["LoyaltyQueueUrl"] = cloud.stack.physical_id("LoyaltyQueue").replace(
        "https://sqs.eu-west-1.amazonaws.com", cloud.endpoints.aws
    )
    return values


@pytest.mark.parametrize(
    ("role", "service", "attempt", "call"), OUTSIDE_GRANTS, ids=[f"{r}: {a}" for r, _, a, _ in OUTSIDE_GRANTS]
)
def test_a_role_cannot_act_outside_its_grant(
    cloud: LocalCloud, role: str, service: str, attempt: str, call: Call
) -> None:
    client = cloud.client(service, cloud.role_credentials(role))

    with pytest.raises(ClientError) as refused:
        call(client, outputs(cloud))

    assert refused.value.response["Error"]["Code"] in {"AccessDeniedException", "AccessDenied"}
    assert "is not authorized to perform" in refused.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("role", "service", "attempt", "call"), WITHIN_GRANTS, ids=[f"{r}: {a}" for r, _, a, _ in WITHIN_GRANTS]
)
def test_a_role_can_do_what_its_grant_covers(
    cloud: LocalCloud, role: str, service: str, attempt: str, call: Call
) -> None:
    call(cloud.client(service, cloud.role_credentials(role)), outputs(cloud))


def test_functions_run_under_their_own_roles(cloud: LocalCloud) -> None:
    """A function's calls reach the AWS endpoint signed by a session of its own role, and no other."""
    assert cloud.stack is not None
    function = cloud.stack.resources["GetLoyaltyFunction"]
    event = json.loads((REPOSITORY_ROOT / "events" / "get_loyalty.json").read_text(encoding="utf-8"))
    before = len(cloud.enforcement.records)

    response = cloud.client("lambda").invoke(FunctionName=function.physical_id, Payload=json.dumps(event))

    assert "FunctionError" not in response
    calls = [(r.principal_arn, r.action, r.allowed) for r in cloud.enforcement.records[before:]]
    role_arn = function.properties["Role"]
    assert (role_arn, "dynamodb:GetItem", True) in calls
    # (Other records come from the loyalty queue's poller, which runs with IngestLoyalty's role.)
    assert {principal for principal, action, _ in calls if action.startswith("dynamodb:")} == {role_arn}, (
        calls
    )
