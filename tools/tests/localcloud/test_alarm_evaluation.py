"""Evaluating alarms as CloudWatch does: each comparison operator, "M out of N", missing data as the
alarm says to treat it, a state set once per change, and actions (a notice published as CloudWatch, only
if the topic's policy allows it) only when the state changes. The evaluator runs against moto in this
process; the local cloud runs it against its IAM-enforced endpoint (tests/e2e/test_alarm_evaluation.py)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.alarms import (
    AlarmEvaluator,
    AlarmState,
    Datapoint,
    UnsupportedAlarmError,
    breaches,
    evaluate_expression,
    next_state,
)
from stacktools.project import ACCOUNT_ID, REGION

ALARM_PREFIX = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:"


@pytest.mark.parametrize(
    ("comparison", "breaching", "not_breaching"),
    [
        ("GreaterThanThreshold", [6.0], [5.0, 4.0]),
        ("GreaterThanOrEqualToThreshold", [5.0, 6.0], [4.0]),
        ("LessThanThreshold", [4.0], [5.0, 6.0]),
        ("LessThanOrEqualToThreshold", [4.0, 5.0], [6.0]),
    ],
)
def test_each_comparison_operator_breaches_on_its_side_of_the_threshold(
    comparison: str, breaching: list[float], not_breaching: list[float]
) -> None:
    assert all(breaches(value, comparison, 5.0) for value in breaching)
    assert not any(breaches(value, comparison, 5.0) for value in not_breaching)


def test_an_anomaly_band_operator_is_not_evaluated_rather_than_guessed() -> None:
    with pytest.raises(UnsupportedAlarmError, match="LessThanLowerOrGreaterThanUpperThreshold"):
        breaches(1.0, "LessThanLowerOrGreaterThanUpperThreshold", 0.0)


def _state(
    points: list[Datapoint], treat: str, *, m: int = 1, current: AlarmState = AlarmState.OK
) -> AlarmState:
    return next_state(
        points,
        comparison="GreaterThanThreshold",
        threshold=0.0,
        datapoints_to_alarm=m,
        treat_missing_data=treat,
        current=current,
    )


@pytest.mark.parametrize(
    ("treat", "expected"),
    [
        ("notBreaching", AlarmState.OK),
        ("breaching", AlarmState.ALARM),
        ("missing", AlarmState.INSUFFICIENT_DATA),
        ("ignore", AlarmState.ALARM),  # the current state stays
    ],
)
def test_with_no_datapoint_at_all_the_missing_data_treatment_decides(
    treat: str, expected: AlarmState
) -> None:
    assert _state([None, None, None], treat, m=3, current=AlarmState.ALARM) == expected


def test_m_out_of_n_needs_m_breaching_datapoints() -> None:
    assert _state([1.0, 0.0, 1.0], "notBreaching", m=3) == AlarmState.OK
    assert _state([1.0, 1.0, 1.0], "notBreaching", m=3) == AlarmState.ALARM
    assert _state([0.0, 1.0, 1.0], "notBreaching", m=2) == AlarmState.ALARM


def test_some_missing_datapoints_count_as_the_treatment_says() -> None:
    assert _state([None, 1.0, 1.0], "notBreaching", m=3) == AlarmState.OK
    assert _state([None, 1.0, 1.0], "breaching", m=3) == AlarmState.ALARM
    # missing and ignore evaluate the datapoints present
    assert _state([None, 1.0, 1.0], "missing", m=2) == AlarmState.ALARM
    assert _state([None, 0.0, 1.0], "ignore", m=2, current=AlarmState.ALARM) == AlarmState.OK


def test_metric_math_of_the_failure_ratio_alarms() -> None:
    expression = "IF(total > 0, 100 * failed / total, 0)"

    assert evaluate_expression(expression, {"failed": 3.0, "total": 4.0}) == 75.0
    assert evaluate_expression(expression, {"failed": 0.0, "total": 0.0}) == 0.0
    assert evaluate_expression(expression, {"failed": None, "total": 4.0}) is None


def test_an_expression_outside_the_subset_is_not_evaluated() -> None:
    with pytest.raises(UnsupportedAlarmError):
        evaluate_expression("ANOMALY_DETECTION_BAND(m1)", {"m1": 1.0})
    with pytest.raises(UnsupportedAlarmError):
        evaluate_expression("__import__('os')", {})


# ------------------------------------------------------------------ the evaluator, on moto


class _World:
    """A queue with an alarm on its depth, a function with an alarm on its errors, an alarm topic whose
    policy lets CloudWatch publish for alarms named ``watched-*``, and a queue subscribed to it."""

    def __init__(self) -> None:
        self.sqs: Any = boto3.client("sqs", region_name=REGION)
        self.cloudwatch: Any = boto3.client("cloudwatch", region_name=REGION)
        sns: Any = boto3.client("sns", region_name=REGION)
        self.topic = sns.create_topic(Name="alarms")["TopicArn"]
        sns.set_topic_attributes(
            TopicArn=self.topic,
            AttributeName="Policy",
            AttributeValue=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": self.topic,
                            "Condition": {
                                "ArnLike": {"aws:SourceArn": f"{ALARM_PREFIX}watched-*"},
                                "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                            },
                        }
                    ],
                }
            ),
        )
        self.parked = self.sqs.create_queue(QueueName="parked")["QueueUrl"]
        self.inbox = self.sqs.create_queue(QueueName="operators")["QueueUrl"]
        inbox_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:operators"
        sns.subscribe(
            TopicArn=self.topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"}
        )
        self.invocations: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.evaluator = AlarmEvaluator(
            lambda service: boto3.client(service, region_name=REGION),  # type: ignore[call-overload]
            lambda: (dict(self.invocations), dict(self.errors)),
            account_id=ACCOUNT_ID,
            region=REGION,
        )

    def alarm(self, name: str, **properties: Any) -> None:
        self.cloudwatch.put_metric_alarm(
            AlarmName=name,
            Period=300,
            EvaluationPeriods=1,
            ComparisonOperator="GreaterThanThreshold",
            Threshold=0,
            TreatMissingData="notBreaching",
            AlarmActions=[self.topic],
            OKActions=[self.topic],
            **properties,
        )

    def queue_alarm(self, name: str) -> None:
        self.alarm(
            name,
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Dimensions=[{"Name": "QueueName", "Value": "parked"}],
            Statistic="Maximum",
        )

    def state(self, name: str) -> str:
        [alarm] = self.cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return str(alarm["StateValue"])

    def notices(self) -> list[dict[str, Any]]:
        received = self.sqs.receive_message(QueueUrl=self.inbox, MaxNumberOfMessages=10).get("Messages", [])
        for message in received:
            self.sqs.delete_message(QueueUrl=self.inbox, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in received]


@pytest.fixture
def world() -> Iterator[_World]:
    with mock_aws():
        yield _World()


def test_a_parked_message_fires_the_alarm_once_and_draining_the_queue_clears_it(world: _World) -> None:
    world.queue_alarm("watched-parked")
    world.evaluator.evaluate_now()
    assert world.state("watched-parked") == "OK"
    world.notices()

    world.sqs.send_message(QueueUrl=world.parked, MessageBody="a booking")
    fired = world.evaluator.evaluate_now()
    again = world.evaluator.evaluate_now()

    assert [(t.alarm_name, t.old, t.new) for t in fired] == [
        ("watched-parked", AlarmState.OK, AlarmState.ALARM)
    ]
    assert again == []
    assert world.state("watched-parked") == "ALARM"
    [notice] = world.notices()
    assert notice["AlarmName"] == "watched-parked"
    assert (notice["OldStateValue"], notice["NewStateValue"]) == ("OK", "ALARM")
    assert notice["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert notice["Trigger"]["Dimensions"] == [{"value": "parked", "name": "QueueName"}]
    assert notice["AlarmArn"] == f"{ALARM_PREFIX}watched-parked"

    world.sqs.purge_queue(QueueUrl=world.parked)
    world.evaluator.evaluate_now()

    assert world.state("watched-parked") == "OK"
    assert [notice["NewStateValue"] for notice in world.notices()] == ["OK"]


def test_a_notice_the_topic_policy_refuses_is_not_published(world: _World) -> None:
    world.queue_alarm("other-parked")  # the policy admits CloudWatch only for alarms named watched-*
    world.sqs.send_message(QueueUrl=world.parked, MessageBody="a booking")

    world.evaluator.evaluate_now()

    assert world.state("other-parked") == "ALARM"
    assert world.notices() == []
    assert [(n.alarm_name, n.delivered) for n in world.evaluator.notifications] == [("other-parked", False)]


def test_an_alarm_on_what_the_local_cloud_cannot_observe_says_so_and_the_others_are_evaluated(
    world: _World,
) -> None:
    world.alarm(
        "watched-throttles",
        Namespace="AWS/DynamoDB",
        MetricName="ThrottledRequests",
        Dimensions=[{"Name": "TableName", "Value": "flights"}],
        Statistic="Sum",
    )
    world.queue_alarm("watched-parked")
    world.alarm(
        "watched-gone",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "deleted-long-ago"}],
        Statistic="Maximum",
    )
    world.cloudwatch.set_alarm_state(AlarmName="watched-throttles", StateValue="OK", StateReason="test")

    changed = {t.alarm_name: t for t in world.evaluator.evaluate_now()}

    assert changed["watched-throttles"].new == AlarmState.INSUFFICIENT_DATA
    assert "AWS/DynamoDB ThrottledRequests is not observed locally" in changed["watched-throttles"].reason
    assert world.state("watched-parked") == "OK"
    assert world.state("watched-gone") == "OK"  # no datapoint, not breaching


def test_function_errors_count_per_period_and_a_quiet_period_is_missing_data(world: _World) -> None:
    world.alarm(
        "watched-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "Reserve"}],
        Statistic="Sum",
    )
    world.invocations["Reserve"] += 2
    world.errors["Reserve"] += 1
    world.evaluator.evaluate_now()
    assert world.state("watched-errors") == "ALARM"

    world.evaluator.evaluate_now()  # no invocation since: no datapoint, not breaching
    assert world.state("watched-errors") == "OK"


def test_a_ratio_alarm_fires_only_when_the_share_stays_over_the_threshold(world: _World) -> None:
    def stat(name: str) -> dict[str, Any]:
        metric = {
            "Namespace": "AWS/Lambda",
            "MetricName": name,
            "Dimensions": [{"Name": "FunctionName", "Value": "Pay"}],
        }
        return {"Metric": metric, "Stat": "Sum", "Period": 300}

    world.cloudwatch.put_metric_alarm(
        AlarmName="watched-ratio",
        Metrics=[
            {"Id": "failed", "MetricStat": stat("Errors"), "ReturnData": False},
            {"Id": "total", "MetricStat": stat("Invocations"), "ReturnData": False},
            {"Id": "share", "Expression": "IF(total > 0, 100 * failed / total, 0)"},
        ],
        EvaluationPeriods=2,
        DatapointsToAlarm=2,
        ComparisonOperator="GreaterThanThreshold",
        Threshold=50,
        TreatMissingData="notBreaching",
        AlarmActions=[world.topic],
    )

    for period in range(2):
        world.invocations["Pay"] += 4
        world.errors["Pay"] += 3 if period else 1  # 25 % then 75 %
        world.evaluator.evaluate_now()
        assert world.state("watched-ratio") == "OK"

    world.invocations["Pay"] += 2
    world.errors["Pay"] += 2
    world.evaluator.evaluate_now()

    assert world.state("watched-ratio") == "ALARM"
    assert [notice["NewStateValue"] for notice in world.notices()] == ["ALARM"]


def test_the_background_evaluation_starts_only_with_an_interval_and_stops_with_the_cloud() -> None:
    evaluations: list[str] = []

    def client(service: str) -> Any:
        evaluations.append(service)
        raise AssertionError("no evaluation was asked for")

    quiet = AlarmEvaluator(client, lambda: ({}, {}), account_id=ACCOUNT_ID, region=REGION)
    periodic = AlarmEvaluator(
        client, lambda: ({}, {}), account_id=ACCOUNT_ID, region=REGION, interval_seconds=3600
    )

    quiet.start()
    periodic.start()
    running = [thread.name for thread in threading.enumerate() if thread.name == "alarm-evaluator"]
    periodic.stop()
    quiet.stop()

    assert running == ["alarm-evaluator"]
    assert not any(thread.name == "alarm-evaluator" for thread in threading.enumerate())
    assert evaluations == []
