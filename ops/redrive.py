"""Settle the bookings parked in the dead-letter queues, once their cause is fixed.

    python -m ops.redrive --stack NAME [--dry-run]       (AWS credentials and region from the environment)

The saga parks an execution's state there when a compensation step (refund, cancel, release the seat,
the cancellation notice) or the confirmation notice failed. It cannot be resumed: an execution is named
after its booking, a second one under that name is refused, and starting the saga again would hold a
seat and charge again. So a parked booking is settled by doing again what its execution was doing:

* a failed compensation -> the compensation, whole: refund (or discard the payment method), cancel the
  booking, release its seat, notify the cancellation. Each step is idempotent (a refund of a refunded
  booking, a cancellation of a cancelled one, a seat already released change nothing);
* a failed confirmation notice -> the confirmation notice.

The loyalty dead-letter queue holds the confirmed notices the loyalty service could not take (IngestLoyalty
failed three times on one, or the loyalty queue refused SNS's delivery). They cannot be moved back to the
loyalty queue: its policy admits only the booking topic's deliveries, since whoever puts a message there
mints points. So the booking's confirmation notice is sent again through NotifyBooking, built from the
booking table (a notice only for a booking that is CONFIRMED there); IngestLoyalty credits a booking once,
however many notices of it arrive.

A message is deleted only when every step of its booking succeeded; otherwise it stays (visible again,
so its alarm stays in ALARM) and the step and error are reported. A second run finds nothing to do.
Only the booking id, customer, flight and the names of the errors are shown: never payment data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

import boto3
from botocore.exceptions import ClientError

RECEIVE_VISIBILITY_SECONDS = 120
"""How long a message read by the redrive stays hidden from another reader while its booking is settled."""


class StackNames(Protocol):
    """Where the stack's resources are: the physical name of a logical id, and a queue's URL."""

    def physical_name(self, logical_id: str) -> str: ...

    def queue_url(self, logical_id: str) -> str: ...


@dataclass(frozen=True)
class CloudFormationStack:
    """A stack deployed with ``sam deploy``: names as CloudFormation reports them."""

    cloudformation: Any
    stack_name: str

    def physical_name(self, logical_id: str) -> str:
        resource = self.cloudformation.describe_stack_resource(
            StackName=self.stack_name, LogicalResourceId=logical_id
        )["StackResourceDetail"]
        return str(resource["PhysicalResourceId"])

    def queue_url(self, logical_id: str) -> str:
        return self.physical_name(logical_id)  # a queue's physical id is its URL


@dataclass(frozen=True)
class LocalCloudStack:
    """The local cloud's stack: it names each resource ``STACK-LogicalId`` (it has no CloudFormation),
    and serves a queue at ``ENDPOINT/ACCOUNT/NAME``."""

    stack_name: str
    endpoint_url: str
    account_id: str

    def physical_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def queue_url(self, logical_id: str) -> str:
        return f"{self.endpoint_url}/{self.account_id}/{self.physical_name(logical_id)}"


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], None]


@dataclass(frozen=True)
class Parked:
    """A message of a dead-letter queue, read: whose booking it is, what failed, what settles it."""

    booking_id: str
    customer_id: object
    flight_id: object
    failure: str
    steps: list[Step]


@dataclass(frozen=True)
class Outcome:
    booking_id: str
    settled: bool
    detail: str


class StepFailedError(Exception):
    """A step of a redrive failed; the message says which and why."""


class Redrive:
    def __init__(self, client: Callable[[str], Any], stack: StackNames) -> None:
        self._client = client
        self._stack = stack

    def run(self, *, dry_run: bool, out: TextIO) -> list[Outcome]:
        sqs = self._client("sqs")
        outcomes = []
        for queue, read, nothing in (
            ("BookingDeadLetterQueue", self._parked_booking, "No parked booking."),
            ("LoyaltyDeadLetterQueue", self._set_aside_notice, "No loyalty notice set aside."),
        ):
            queue_url = self._stack.queue_url(queue)
            messages = list(self._parked(sqs, queue_url))
            if not messages:
                print(nothing, file=out)
            for message in messages:
                outcome = self._settle(sqs, queue_url, message, read, dry_run=dry_run, out=out)
                if outcome is not None:
                    outcomes.append(outcome)
        return outcomes

    @staticmethod
    def _parked(sqs: Any, queue_url: str) -> Iterator[Mapping[str, Any]]:
        seen: set[str] = set()
        while True:
            received = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS
            ).get("Messages", [])
            fresh = [message for message in received if message["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                yield message

    def _settle(
        self,
        sqs: Any,
        queue_url: str,
        message: Mapping[str, Any],
        read: Callable[[str], Parked],
        *,
        dry_run: bool,
        out: TextIO,
    ) -> Outcome | None:
        try:
            parked = read(message["Body"])
        except (ValueError, KeyError, TypeError):
            what = f"message {message['MessageId']}: not one this redrive settles"
            print(f"{what}; left in the queue", file=out)
            _show_again(sqs, queue_url, message)
            return None
        booking_id, steps = parked.booking_id, parked.steps
        print(
            f"booking {booking_id}  customer {parked.customer_id}  flight {parked.flight_id}\n"
            f"  failed: {parked.failure}\n"
            f"  redrive: {', '.join(step.name for step in steps)}",
            file=out,
        )
        if dry_run:
            _show_again(sqs, queue_url, message)
            return Outcome(booking_id, settled=False, detail="dry run: nothing changed")
        for step in steps:
            try:
                step.run()
            except StepFailedError as error:
                _show_again(sqs, queue_url, message)
                print(f"  NOT settled: {step.name} failed ({error}); the message stays", file=out)
                return Outcome(booking_id, settled=False, detail=f"{step.name} failed: {error}")
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        print("  settled; the message is deleted", file=out)
        return Outcome(booking_id, settled=True, detail="settled")

    def _parked_booking(self, body: str) -> Parked:
        """A booking the saga parked: its execution's state."""
        state = json.loads(body)["state"]
        return Parked(
            booking_id=str(state["bookingId"]),
            customer_id=state.get("customerId"),
            flight_id=state.get("flightId"),
            failure=_what_failed(state),
            steps=self._steps(state),
        )

    def _set_aside_notice(self, body: str) -> Parked:
        """A booking notice the loyalty service could not take: the SNS envelope around it."""
        notice = json.loads(json.loads(body)["Message"])
        booking_id = str(notice["bookingId"])
        return Parked(
            booking_id=booking_id,
            customer_id=notice.get("customerId"),
            flight_id=notice.get("flightId"),
            failure="its loyalty credit: the notice was set aside",
            steps=[Step("notify the confirmation again", lambda: self._notify_confirmed(booking_id))],
        )

    def _notify_confirmed(self, booking_id: str) -> None:
        """The confirmation notice of a booking, from what the booking table holds of it."""
        try:
            booking = (
                self._client("dynamodb")
                .get_item(
                    TableName=self._stack.physical_name("BookingTable"),
                    Key={"id": {"S": booking_id}},
                    ConsistentRead=True,
                )
                .get("Item")
            )
        except ClientError as error:
            raise StepFailedError(error.response["Error"]["Code"]) from None
        status = booking["status"]["S"] if booking else "missing"
        if booking is None or status != "CONFIRMED":
            raise StepFailedError(f"the booking is {status}, not CONFIRMED: no points are due")
        notice = {
            "bookingId": booking_id,
            "customerId": booking["customerId"]["S"],
            "flightId": booking["flightId"]["S"],
            "status": "CONFIRMED",
            "bookingReference": booking["bookingReference"]["S"],
            "amount": int(booking["amount"]["N"]),
            "currency": booking["currency"]["S"],
        }
        self._invoke("NotifyBookingFunction", notice)

    def _steps(self, state: Mapping[str, Any]) -> list[Step]:
        booking_id = str(state["bookingId"])
        if "compensationError" not in state:  # the confirmation notice failed; the booking stands
            confirmation = state.get("confirmation") or {}
            payment = state.get("payment") or {}
            notice = {
                "bookingId": booking_id,
                "customerId": state.get("customerId"),
                "flightId": state.get("flightId"),
                "status": "CONFIRMED",
                "bookingReference": confirmation.get("bookingReference"),
                "amount": payment.get("amount"),
                "currency": payment.get("currency"),
            }
            return [Step("notify the confirmation", lambda: self._invoke("NotifyBookingFunction", notice))]
        steps = [Step("refund", lambda: self._invoke("RefundPaymentFunction", {"bookingId": booking_id}))]
        if "flight" not in state:  # no seat was held: the saga only discards the payment method
            return steps
        reason = (state.get("error") or {}).get("Error", "BookingFailed")
        cancellation = {
            "bookingId": booking_id,
            "customerId": state.get("customerId"),
            "flightId": state.get("flightId"),
            "status": "CANCELLED",
            "reason": reason,
        }
        return [
            *steps,
            Step("cancel", lambda: self._invoke("CancelBookingFunction", {"bookingId": booking_id})),
            Step("release the seat", lambda: self._release_seat(str(state["flightId"]), booking_id)),
            Step("notify the cancellation", lambda: self._invoke("NotifyBookingFunction", cancellation)),
        ]

    def _invoke(self, logical_id: str, payload: Mapping[str, Any]) -> None:
        response = self._client("lambda").invoke(
            FunctionName=self._stack.physical_name(logical_id), Payload=json.dumps(payload).encode()
        )
        if response.get("FunctionError"):
            failure = json.loads(response["Payload"].read() or b"{}")
            raise StepFailedError(str(failure.get("errorType", response["FunctionError"])))

    def _release_seat(self, flight_id: str, booking_id: str) -> None:
        """As the saga releases it: only if this booking holds a seat, which it then no longer does."""
        try:
            self._client("dynamodb").update_item(
                TableName=self._stack.physical_name("FlightTable"),
                Key={"id": {"S": flight_id}},
                UpdateExpression="SET seatsAvailable = seatsAvailable + :one DELETE reservedBookings :ids",
                ConditionExpression="contains(reservedBookings, :booking)",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":booking": {"S": booking_id},
                    ":ids": {"SS": [booking_id]},
                },
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code != "ConditionalCheckFailedException":  # already released: nothing to do
                raise StepFailedError(code) from None


def _what_failed(state: Mapping[str, Any]) -> str:
    """The error names only: a Cause may quote a request, and payment data is never shown."""
    failures = [
        f"{label} {state[key].get('Error', '?')}"
        for key, label in (("error", "the booking:"), ("compensationError", "then the compensation:"))
        if isinstance(state.get(key), Mapping)
    ]
    return "; ".join(failures) or "unknown"


def _show_again(sqs: Any, queue_url: str, message: Mapping[str, Any]) -> None:
    """Make a message visible again at once: it is still waiting for someone, and its alarm says so."""
    sqs.change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.redrive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the stack's name")
    parser.add_argument("--dry-run", action="store_true", help="show the parked bookings, change nothing")
    parser.add_argument(
        "--local", action="store_true", help="the local cloud's stack (AWS_ENDPOINT_URL names its endpoint)"
    )
    arguments = parser.parse_args(argv)
    session = boto3.Session()
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service)  # type: ignore[call-overload]
        return clients[service]

    stack: StackNames = (
        LocalCloudStack(
            arguments.stack,
            client("sqs").meta.endpoint_url,
            client("sts").get_caller_identity()["Account"],
        )
        if arguments.local
        else CloudFormationStack(client("cloudformation"), arguments.stack)
    )
    try:
        outcomes = Redrive(client, stack).run(dry_run=arguments.dry_run, out=sys.stdout)
    except ClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0 if all(outcome.settled for outcome in outcomes) or arguments.dry_run else 1


if __name__ == "__main__":
    sys.exit(main())
