"""The loyalty queue and the booking topic mint points, so they are guarded like the loyalty API:
same-account principals with broad grants, other topics and direct invocations of IngestLoyalty all
try to credit points, and none of them does."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import create_principal
from tests.support.local_cloud import LocalCloud
from tests.support.local_stack import arn_of, item, queue_url

pytestmark = pytest.mark.local_cloud

FIFTY_THOUSAND_POINTS = 50_000


def forged_notice(customer_id: str, amount: int = FIFTY_THOUSAND_POINTS) -> dict[str, Any]:
    return {
        "bookingId": str(uuid.uuid4()),
        "customerId": customer_id,
        "flightId": "SA101-2030-01-08",
        "status": "CONFIRMED",
        "bookingReference": "FORGED",
        "amount": amount,
        "currency": "EUR",
    }


def envelope(notice: dict[str, Any], topic_arn: str, status: str = "CONFIRMED") -> dict[str, Any]:
    """What SNS puts on a queue for a notice published to ``topic_arn`` (without raw delivery)."""
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic_arn,
        "Message": json.dumps(notice),
        "Timestamp": "2030-01-01T00:00:00.000Z",
        "SignatureVersion": "2",
        "Signature": "Zm9yZ2Vk",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/forged.pem",
        "MessageAttributes": {"bookingStatus": {"Type": "String", "Value": status}},
    }


def credited(cloud: LocalCloud, customer_id: str) -> dict[str, Any] | None:
    return item(cloud, "LoyaltyTable", {"customerId": customer_id, "sk": "TOTAL"})


def booking_topic(cloud: LocalCloud) -> str:
    assert cloud.stack is not None
    return cloud.stack.outputs["BookingTopicArn"]


def test_an_account_user_with_send_message_on_everything_cannot_mint_points_through_the_loyalty_queue(
    cloud: LocalCloud,
) -> None:
    victim = str(uuid.uuid4())
    intruder = create_principal(cloud, f"sqs-sender-{uuid.uuid4().hex[:6]}", ["sqs:SendMessage"], user=True)
    sqs = cloud.client("sqs", intruder)
    notice = forged_notice(victim)

    for body in (notice, envelope(notice, booking_topic(cloud))):
        with pytest.raises(ClientError) as refused:
            sqs.send_message(
                QueueUrl=queue_url(cloud, "LoyaltyQueue"),
                MessageBody=json.dumps(body),
                MessageAttributes={"bookingStatus": {"DataType": "String", "StringValue": "CONFIRMED"}},
            )
        assert refused.value.response["Error"]["Code"] in {"AccessDenied", "AccessDeniedException"}
        assert "explicit deny" in refused.value.response["Error"]["Message"]

    assert credited(cloud, victim) is None


def test_an_account_role_with_publish_on_everything_cannot_mint_points_through_the_booking_topic(
    cloud: LocalCloud,
) -> None:
    victim = str(uuid.uuid4())
    intruder = create_principal(cloud, f"sns-publisher-{uuid.uuid4().hex[:6]}", ["sns:Publish"])
    sns = cloud.client("sns", intruder)

    with pytest.raises(ClientError) as refused:
        sns.publish(
            TopicArn=booking_topic(cloud),
            Message=json.dumps(forged_notice(victim)),
            MessageAttributes={"bookingStatus": {"DataType": "String", "StringValue": "CONFIRMED"}},
        )

    assert refused.value.response["Error"]["Code"] in {"AccessDenied", "AuthorizationError"}
    assert "explicit deny" in refused.value.response["Error"]["Message"]
    assert credited(cloud, victim) is None


def test_an_intruders_own_topic_cannot_deliver_into_the_loyalty_queue(cloud: LocalCloud) -> None:
    victim = str(uuid.uuid4())
    intruder = create_principal(cloud, f"topic-owner-{uuid.uuid4().hex[:6]}", ["sns:*"])
    sns = cloud.client("sns", intruder)
    topic = sns.create_topic(Name=f"lookalike-{uuid.uuid4().hex[:6]}")["TopicArn"]
    loyalty_queue = arn_of(cloud, "LoyaltyQueue")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=loyalty_queue)
    dropped = len(cloud.sns_delivery.dropped)

    sns.publish(
        TopicArn=topic,
        Message=json.dumps(forged_notice(victim)),
        MessageAttributes={"bookingStatus": {"DataType": "String", "StringValue": "CONFIRMED"}},
    )

    assert cloud.sns_delivery.dropped[dropped:] == [f"{topic} -> {loyalty_queue}"]
    assert credited(cloud, victim) is None


def test_a_forged_batch_invoked_straight_into_ingest_loyalty_credits_nothing(cloud: LocalCloud) -> None:
    """Lambda functions cannot have a Deny in their resource policy, so a same-account principal with
    lambda:InvokeFunction on * reaches IngestLoyalty. What the function checks bounds what it credits."""
    assert cloud.stack is not None
    victims = [str(uuid.uuid4()) for _ in range(6)]
    intruder = create_principal(cloud, f"invoker-{uuid.uuid4().hex[:6]}", ["lambda:InvokeFunction"])
    another_topic = booking_topic(cloud).rsplit(":", 1)[0] + ":lookalike"
    bodies = [
        # A notice as it looked before the topic delivered envelopes: nothing says where it came from.
        forged_notice(victims[0], 100_000_000),
        # From the booking topic, but no fare costs a million euros.
        envelope(forged_notice(victims[1], 100_000_000), booking_topic(cloud)),
        # A sane amount from another topic.
        envelope(forged_notice(victims[2]), another_topic),
        # The attribute the subscription filters on says one thing, the notice another.
        envelope(forged_notice(victims[3]), booking_topic(cloud), status="CANCELLED"),
        # A currency the airline does not sell in.
        envelope({**forged_notice(victims[4]), "currency": "XAU"}, booking_topic(cloud)),
        # And one the function accepts, which earns nothing: a batch whose every record fails is
        # retried whole, so this keeps the answer a partial one, record by record.
        envelope({**forged_notice(victims[5]), "status": "CANCELLED"}, booking_topic(cloud), "CANCELLED"),
    ]
    queue_arn = arn_of(cloud, "LoyaltyQueue")
    records = [
        {
            "messageId": f"forged-{index}",
            "receiptHandle": "forged",
            "body": json.dumps(body),
            # What SQS gives every record: the forgery is in the body, not in the record's shape.
            "attributes": {
                "ApproximateReceiveCount": "1",
                "ApproximateFirstReceiveTimestamp": "1767225600000",
                "SenderId": "AIDAEXAMPLE",
                "SentTimestamp": "1767225600000",
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": queue_arn.split(":")[3],
        }
        for index, body in enumerate(bodies)
    ]

    response = cloud.client("lambda", intruder).invoke(
        FunctionName=cloud.stack.physical_id("IngestLoyaltyFunction"),
        Payload=json.dumps({"Records": records}),
    )

    assert "FunctionError" not in response
    failures = json.loads(response["Payload"].read())["batchItemFailures"]
    assert {failure["itemIdentifier"] for failure in failures} == {
        record["messageId"] for record in records[:-1]
    }
    assert [credited(cloud, victim) for victim in victims] == [None] * len(victims)
