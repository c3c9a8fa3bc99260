"""SetQueueAttributes keeps every attribute it does not name (moto 5.2.5 clears the queue policy)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Queue

from localcloud.moto_seams import QUEUE_SET_ATTRIBUTES, SeamChangedError
from localcloud.queue_attributes import QueueAttributesKept
from stacktools.project import ACCOUNT_ID, REGION

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:loyalty",
        }
    ],
}


@pytest.fixture
def sqs() -> Iterator[Any]:
    kept = QueueAttributesKept()
    with mock_aws():
        kept.install()
        try:
            yield boto3.client("sqs", region_name=REGION)
        finally:
            kept.uninstall()


def attributes(sqs: Any, url: str) -> dict[str, str]:
    found: dict[str, str] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return found


def test_setting_the_visibility_timeout_keeps_the_policy_and_the_redrive_policy(sqs: Any) -> None:
    dead_letters = sqs.create_queue(QueueName="loyalty-dlq")["QueueUrl"]
    redrive = {"deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:loyalty-dlq", "maxReceiveCount": 3}
    url = sqs.create_queue(
        QueueName="loyalty",
        Attributes={"Policy": json.dumps(POLICY), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    assert dead_letters

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45"})

    after = attributes(sqs, url)
    assert after["VisibilityTimeout"] == "45"
    assert json.loads(after["Policy"]) == POLICY
    assert json.loads(after["RedrivePolicy"]) == redrive


def test_a_policy_named_is_still_replaced_or_cleared(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="loyalty", Attributes={"Policy": json.dumps(POLICY)})["QueueUrl"]
    other = {**POLICY, "Statement": [{**POLICY["Statement"][0], "Sid": "Other"}]}  # type: ignore[dict-item]

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(other)})
    assert json.loads(attributes(sqs, url)["Policy"]) == other

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Policy" not in attributes(sqs, url)


def test_a_new_queue_without_a_policy_has_none(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "1"})

    assert "Policy" not in attributes(sqs, url)


def test_the_patch_refuses_a_moto_whose_method_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    QUEUE_SET_ATTRIBUTES.check()  # the pinned moto

    def changed(self: Queue, attributes: dict[str, Any]) -> None: ...

    monkeypatch.setattr(Queue, "_set_attributes", changed)
    with pytest.raises(SeamChangedError, match=r"'SQS queue attributes'.* takes"):
        QueueAttributesKept().install()


def test_the_patch_refuses_a_moto_that_no_longer_clears_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    def fixed(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None: ...

    monkeypatch.setattr(Queue, "_set_attributes", fixed)
    with pytest.raises(SeamChangedError, match="no longer runs"):
        QueueAttributesKept().install()
