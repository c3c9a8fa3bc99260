"""Loyalty handlers under moto: queue, dead-letter queue and ledger table built from template.yaml."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import pytest
from moto.dynamodb.models import dynamodb_backends

from common.aws import dynamodb_client
from tests.support.inprocess import InProcessLambdaRunner
from tests.support.sqs_event_source import drain, topic_envelope
from tests.support.stack import ACCOUNT_ID, REGION, MockStack, embedded_client

CUSTOMER_ID = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"


def confirmed_notice(amount: int = 12900, customer_id: str = CUSTOMER_ID) -> dict[str, Any]:
    return {
        "bookingId": str(uuid.uuid4()),
        "customerId": customer_id,
        "flightId": "SA101-2030-01-08",
        "status": "CONFIRMED",
        "bookingReference": "Q7KX2M",
        "amount": amount,
        "currency": "EUR",
    }


def send(stack: MockStack, bodies: list[str]) -> None:
    sqs = embedded_client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=stack.physical_id("LoyaltyQueue"), MessageBody=body)


def from_topic(stack: MockStack, notice: dict[str, Any], status: str | None = None) -> str:
    """The message the booking topic puts on the queue for ``notice``."""
    return topic_envelope(notice, stack.physical_id("BookingTopic"), status)


def deliver(stack: MockStack, runner: InProcessLambdaRunner, batches: list[list[str]] | None = None) -> int:
    def ingest(event: dict[str, Any]) -> dict[str, Any]:
        if batches is not None:
            batches.append(sorted(record["body"] for record in event["Records"]))
        result: dict[str, Any] = runner.call("IngestLoyaltyFunction", event)
        return result

    return drain(stack.physical_id("LoyaltyQueue"), ingest)


def get_loyalty(runner: InProcessLambdaRunner, customer_id: str) -> tuple[int, dict[str, Any]]:
    with open("events/get_loyalty.json", encoding="utf-8") as sample:
        event = json.load(sample)
    event["path"] = f"/loyalty/{customer_id}/get"
    event["pathParameters"] = {"customerId": customer_id}
    response = runner.call("GetLoyaltyFunction", event)
    return response["statusCode"], json.loads(response["body"])


class DynamoDBCallRecorder:
    """Counts DynamoDB requests and the items they return, via botocore's event hooks."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_returned = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("after-call.dynamodb", self._after_call)

    def _after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        self.items_returned += len(parsed.get("Items", [])) + (1 if "Item" in parsed else 0)


def test_points_are_credited_once_per_booking_under_duplicate_delivery(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    notice = from_topic(stack, confirmed_notice(12900))
    other = from_topic(stack, confirmed_notice(5000))
    send(stack, [notice, notice, other])
    deliver(stack, runner)
    send(stack, [notice])  # redelivered later, e.g. after a visibility timeout
    deliver(stack, runner)

    status, body = get_loyalty(runner, CUSTOMER_ID)

    assert status == 200
    assert body["points"] == 12900 + 5000


def test_a_cancelled_booking_earns_nothing_and_is_not_a_failure(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    cancelled = {**confirmed_notice(), "status": "CANCELLED"}
    send(stack, [from_topic(stack, cancelled)])

    deliver(stack, runner)

    assert get_loyalty(runner, CUSTOMER_ID)[1]["points"] == 0


def test_a_poison_message_goes_to_the_dead_letter_queue_while_its_batch_succeeds(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    good = [from_topic(stack, confirmed_notice(1000)), from_topic(stack, confirmed_notice(2000))]
    poison = "{not json"
    send(stack, [good[0], poison, good[1]])

    batches: list[list[str]] = []

    deliveries = deliver(stack, runner, batches)

    # The good notices were delivered once; only the poison message came back, until redriven.
    assert batches[0] == sorted([good[0], poison, good[1]])
    assert all(batch == [poison] for batch in batches[1:])
    assert get_loyalty(runner, CUSTOMER_ID)[1]["points"] == 3000
    dead = embedded_client("sqs").receive_message(
        QueueUrl=stack.physical_id("LoyaltyDeadLetterQueue"), MaxNumberOfMessages=10
    )["Messages"]
    assert [message["Body"] for message in dead] == [poison]
    # maxReceiveCount (3, from the template) deliveries of the poison message, then redrive.
    redrive = json.loads(
        embedded_client("sqs").get_queue_attributes(
            QueueUrl=stack.physical_id("LoyaltyQueue"), AttributeNames=["RedrivePolicy"]
        )["Attributes"]["RedrivePolicy"]
    )
    assert deliveries == int(redrive["maxReceiveCount"])


@pytest.mark.parametrize(
    ("notice", "status"),
    [
        ({**confirmed_notice(), "amount": -1}, None),
        ({**confirmed_notice(), "customerId": "someone"}, None),
        ({**confirmed_notice(), "amount": "12900"}, None),
        # What a real booking cannot claim: a fare beyond any the airline sells, a currency it does
        # not sell in, a status other than the one the subscription filtered on.
        ({**confirmed_notice(), "amount": 500_001}, None),
        ({**confirmed_notice(), "currency": "XAU"}, None),
        (confirmed_notice(), "CANCELLED"),
    ],
)
def test_an_invalid_notice_fails_alone_and_is_dead_lettered(
    runner: InProcessLambdaRunner, stack: MockStack, notice: dict[str, Any], status: str | None
) -> None:
    good = from_topic(stack, confirmed_notice(700))
    body = from_topic(stack, notice, status)
    send(stack, [good, body])

    deliver(stack, runner)

    assert get_loyalty(runner, CUSTOMER_ID)[1]["points"] == 700
    dead = embedded_client("sqs").receive_message(
        QueueUrl=stack.physical_id("LoyaltyDeadLetterQueue"), MaxNumberOfMessages=10
    )["Messages"]
    assert [message["Body"] for message in dead] == [body]


def test_a_notice_from_another_topic_is_not_credited(runner: InProcessLambdaRunner, stack: MockStack) -> None:
    lookalike = stack.physical_id("BookingTopic") + "-lookalike"
    body = topic_envelope(confirmed_notice(900), lookalike)
    send(stack, [body])

    deliver(stack, runner)

    assert get_loyalty(runner, CUSTOMER_ID)[1]["points"] == 0
    dead = embedded_client("sqs").receive_message(
        QueueUrl=stack.physical_id("LoyaltyDeadLetterQueue"), MaxNumberOfMessages=10
    )["Messages"]
    assert [message["Body"] for message in dead] == [body]


@pytest.mark.parametrize(
    ("points", "level", "remaining"),
    [
        (0, "bronze", 50_000),
        (49_999, "bronze", 1),
        (50_000, "silver", 50_000),
        (99_999, "silver", 1),
        (100_000, "gold", 0),
    ],
)
def test_tiers_at_their_boundaries(
    runner: InProcessLambdaRunner, stack: MockStack, points: int, level: str, remaining: int
) -> None:
    customer = str(uuid.uuid4())
    if points:
        send(stack, [from_topic(stack, confirmed_notice(points, customer))])
        deliver(stack, runner)

    status, body = get_loyalty(runner, customer)

    assert status == 200
    assert body == {"points": points, "level": level, "remainingPoints": remaining}


@pytest.mark.parametrize(
    "customer_id", ["not-a-uuid", "0D3C3A1E-5B7F-4C1E-9A8E-2F6B1D4C7E90", "%27%20OR%201%3D1"]
)
def test_an_invalid_customer_id_is_a_422_naming_the_parameter_and_reads_nothing(
    runner: InProcessLambdaRunner, customer_id: str
) -> None:
    recorder = DynamoDBCallRecorder()
    recorder.attach(dynamodb_client())

    status, body = get_loyalty(runner, customer_id)

    # Powertools' request validation: the parameter and the kind of error, never the value or the
    # validator's own words.
    assert status == 422
    assert body == {"statusCode": 422, "detail": [{"loc": ["path", "customerId"], "type": "value_error"}]}
    assert recorder.calls == {}


def test_another_route_is_a_404(runner: InProcessLambdaRunner) -> None:
    with open("events/get_loyalty.json", encoding="utf-8") as sample:
        event = json.load(sample)
    event["path"] = f"/loyalty/{CUSTOMER_ID}/points"

    response = runner.call("GetLoyaltyFunction", event)

    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"statusCode": 404, "message": "Not found"}


def _seed_history(stack: MockStack, customer_id: str, bookings: int) -> None:
    """Write ``bookings`` ledger entries (as IngestLoyalty would) and the matching total.

    Straight into the mock's table: ten thousand items through the API (400 batch writes) cost more
    than the rest of the module. Only the read under test goes through the client."""
    table = stack.physical_id("LoyaltyTable")
    backend = dynamodb_backends[ACCOUNT_ID][REGION]
    for _ in range(bookings):
        entry = {
            "customerId": {"S": customer_id},
            "sk": {"S": f"BOOKING#{uuid.uuid4()}"},
            "points": {"N": "10"},
        }
        backend.put_item(table, entry)
    embedded_client("dynamodb").put_item(
        TableName=table,
        Item={"customerId": {"S": customer_id}, "sk": {"S": "TOTAL"}, "points": {"N": str(10 * bookings)}},
    )


def test_get_loyalty_reads_the_same_for_one_or_ten_thousand_bookings(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    recorder = DynamoDBCallRecorder()
    recorder.attach(dynamodb_client())
    observed = {}
    for bookings in (1, 10_000):
        customer = str(uuid.uuid4())
        _seed_history(stack, customer, bookings)
        recorder.calls.clear()
        recorder.items_returned = 0

        status, body = get_loyalty(runner, customer)

        assert status == 200
        assert body["points"] == 10 * bookings
        observed[bookings] = (dict(recorder.calls), recorder.items_returned)

    assert observed[1] == observed[10_000] == ({"GetItem": 1}, 1)


def set_total(stack: MockStack, customer_id: str, points: int) -> None:
    embedded_client("dynamodb").put_item(
        TableName=stack.physical_id("LoyaltyTable"),
        Item={"customerId": {"S": customer_id}, "sk": {"S": "TOTAL"}, "points": {"N": str(points)}},
    )


def credited_for(stack: MockStack, customer_id: str, booking_id: str) -> int:
    item = embedded_client("dynamodb").get_item(
        TableName=stack.physical_id("LoyaltyTable"),
        Key={"customerId": {"S": customer_id}, "sk": {"S": f"BOOKING#{booking_id}"}},
    )["Item"]
    return int(item["points"]["N"])


@pytest.mark.parametrize(
    ("total", "expected_total", "credited"),
    [
        (1_000_000_000 - 12_900, 1_000_000_000, 12_900),  # reaches the cap exactly
        (1_000_000_000 - 12_899, 1_000_000_000, 12_899),  # one over: held at the cap
        (1_000_000_000, 1_000_000_000, 0),  # at the cap
    ],
    ids=["exactly at the cap", "one over", "at the cap already"],
)
def test_a_customers_total_never_passes_the_cap_and_getloyalty_still_answers(
    runner: InProcessLambdaRunner, stack: MockStack, total: int, expected_total: int, credited: int
) -> None:
    set_total(stack, CUSTOMER_ID, total)
    notice = confirmed_notice(12900)
    send(stack, [from_topic(stack, notice)])
    deliver(stack, runner)
    send(stack, [from_topic(stack, notice)])  # redelivered: nothing more
    deliver(stack, runner)

    status, body = get_loyalty(runner, CUSTOMER_ID)

    assert (status, body["points"]) == (200, expected_total)
    assert credited_for(stack, CUSTOMER_ID, notice["bookingId"]) == credited
    assert body["points"] <= 2**31 - 1


def test_points_are_earned_in_one_unit_whatever_the_currency(
    runner: InProcessLambdaRunner, stack: MockStack
) -> None:
    notices = [{**confirmed_notice(12900), "currency": currency} for currency in ("EUR", "GBP", "USD")]
    send(stack, [from_topic(stack, notice) for notice in notices])
    deliver(stack, runner)

    assert get_loyalty(runner, CUSTOMER_ID)[1]["points"] == 12_900 + 14_835 + 11_610
