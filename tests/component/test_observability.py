"""What the functions write for operators: Powertools' JSON log lines and CloudWatch EMF metrics.

Both are read here as Lambda would ship them (one JSON document a line), from handlers run in-process
against the template's tables, topic and queues.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aws_lambda_powertools.metrics.provider import cold_start

from booking.errors import BookingNotConfirmableError
from common.observability import logger
from tests.support.inprocess import InProcessLambdaRunner
from tests.support.sqs_event_source import drain, topic_envelope
from tests.support.stack import MockStack, embedded_client

BOOKING_ID = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"
CUSTOMER_ID = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"
RESERVATION = {
    "bookingId": BOOKING_ID,
    "customerId": CUSTOMER_ID,
    "flightId": "SA101-2030-01-08",
    "amount": 12900,
    "currency": "EUR",
}

LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """The lines the functions' logger writes from now on (to stdout, in Lambda), parsed."""
    buffer = io.StringIO()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


def emf_documents(stdout: str) -> list[dict[str, Any]]:
    """The Embedded Metric Format documents among the lines written to stdout."""
    documents = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [document for document in documents if "_aws" in document]


def metrics_of(document: dict[str, Any]) -> dict[str, Any]:
    """{metric name: (unit, value)} plus the namespace and dimensions a document declares."""
    [directive] = document["_aws"]["CloudWatchMetrics"]
    return {
        "namespace": directive["Namespace"],
        "dimensions": {name: document[name] for names in directive["Dimensions"] for name in names},
        "metrics": {m["Name"]: (m["Unit"], document[m["Name"]]) for m in directive["Metrics"]},
    }


def test_a_step_emits_a_cold_start_once_and_its_outcome_every_time_as_emf(
    runner: InProcessLambdaRunner, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cold_start, "is_cold_start", True)  # as in a new execution environment
    capsys.readouterr()

    runner.call("ReserveBookingFunction", RESERVATION)
    runner.call("ReserveBookingFunction", RESERVATION)  # a retry, in the now warm environment

    assert [metrics_of(document) for document in emf_documents(capsys.readouterr().out)] == [
        {
            "namespace": "ServerlessAirline",
            "dimensions": {"function_name": "airline-test-ReserveBookingFunction", "service": "test"},
            "metrics": {"ColdStart": ("Count", [1.0])},
        },
        {
            "namespace": "ServerlessAirline",
            "dimensions": {"service": "test"},
            "metrics": {"BookingReserved": ("Count", [1.0])},
        },
        {
            "namespace": "ServerlessAirline",
            "dimensions": {"service": "test"},
            "metrics": {"BookingReserved": ("Count", [1.0])},
        },
    ]


def test_each_outcome_is_one_line_with_its_own_ids_only(
    runner: InProcessLambdaRunner, log_lines: LogLines
) -> None:
    runner.call("ReserveBookingFunction", RESERVATION)
    runner.call("ConfirmBookingFunction", {"bookingId": BOOKING_ID})
    unknown = str(uuid.uuid4())
    with pytest.raises(BookingNotConfirmableError):
        runner.call("ConfirmBookingFunction", {"bookingId": unknown})

    reserved, confirmed, failed = log_lines()
    assert (reserved["level"], reserved["message"]) == ("INFO", "booking reserved")
    assert (reserved["booking_id"], reserved["customer_id"], reserved["flight_id"]) == (
        BOOKING_ID,
        CUSTOMER_ID,
        "SA101-2030-01-08",
    )
    assert reserved["function_name"] == "airline-test-ReserveBookingFunction"
    assert (confirmed["message"], confirmed["booking_id"]) == ("booking confirmed", BOOKING_ID)
    assert len(confirmed["booking_reference"]) == 6
    # The same logger served the reservation: its keys must not leak into the next invocation.
    assert "customer_id" not in confirmed
    assert "flight_id" not in confirmed
    assert (failed["level"], failed["message"], failed["booking_id"]) == (
        "ERROR",
        "invocation failed",
        unknown,
    )
    assert failed["exception_name"] == "BookingNotConfirmableError"


def test_the_loyalty_api_logs_the_api_request_id_as_correlation_id(
    runner: InProcessLambdaRunner, log_lines: LogLines
) -> None:
    with open("events/get_loyalty.json", encoding="utf-8") as sample:
        event = json.load(sample)

    runner.call("GetLoyaltyFunction", event)
    event["pathParameters"] = {"customerId": "nope"}
    event["path"] = "/loyalty/nope/get"
    runner.call(
        "GetLoyaltyFunction", {**event, "requestContext": {**event["requestContext"], "requestId": "r2"}}
    )

    answered, rejected = log_lines()
    assert answered["correlation_id"] == event["requestContext"]["requestId"]
    assert (answered["message"], answered["status_code"], answered["customer_id"]) == (
        "loyalty request answered",
        200,
        CUSTOMER_ID,
    )
    assert (rejected["correlation_id"], rejected["status_code"]) == ("r2", 422)
    assert "customer_id" not in rejected


def test_each_notice_of_a_batch_is_logged_with_its_ids_and_a_rejected_one_without_its_content(
    runner: InProcessLambdaRunner, stack: MockStack, log_lines: LogLines
) -> None:
    notice = {**RESERVATION, "status": "CONFIRMED", "bookingReference": "Q7KX2M"}
    # A CONFIRMED notice without its amount: invalid, and what it says must not reach the log.
    stranger = str(uuid.uuid4())
    invalid = {**notice, "bookingId": str(uuid.uuid4()), "amount": None, "customerId": stranger}
    sqs = embedded_client("sqs")
    topic = stack.physical_id("BookingTopic")
    for body in (notice, notice, invalid):
        sqs.send_message(QueueUrl=stack.physical_id("LoyaltyQueue"), MessageBody=topic_envelope(body, topic))

    drain(stack.physical_id("LoyaltyQueue"), lambda event: runner.call("IngestLoyaltyFunction", event))

    lines = log_lines()
    processed = [line for line in lines if line["message"] == "booking notice processed"]
    assert sorted(line["outcome"] for line in processed) == ["ALREADY_CREDITED", "CREDITED"]
    assert {(line["booking_id"], line["customer_id"]) for line in processed} == {(BOOKING_ID, CUSTOMER_ID)}
    rejected = [line for line in lines if line["message"] == "booking notice rejected"]
    assert len(rejected) == 3  # each delivery until the queue's redrive policy dead-letters it
    for line in rejected:
        assert line["level"] == "WARNING"
        assert line["message_id"]
        assert line["reason"] == "body.Message: a CONFIRMED notice needs amount and currency"
        assert stranger not in json.dumps(line)
        assert "booking_id" not in line
