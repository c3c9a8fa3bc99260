"""The stack's alarms, read from template.yaml: each dead-letter queue, the booking saga and every function
has one, with the metric, dimensions, threshold and missing-data treatment it was chosen for, and every
alarm tells the operators' topic when it fires and when it clears. The topic takes notices from
CloudWatch, for the stack's own alarms, and from no one else."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.iam import AccessRequest, Principal, evaluate
from tests.support.stack import ACCOUNT_ID as ACCOUNT
from tests.support.stack import REGION
from tests.support.stack import STACK_NAME as STACK
from tests.support.template import function_specs, offline_resolver, project_template, resources_of_type

TEMPLATE = project_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
ALARMS = {
    logical_id: resource["Properties"]
    for logical_id, resource in RESOURCES.items()
    if resource["Type"] == "AWS::CloudWatch::Alarm"
}
TOPIC = {"Ref": "AlarmTopic"}

# Any error is a fault, except CollectPayment's: it raises on a declined card so that the saga
# compensates, so its alarm watches the share of failed payments instead.
ERRORS_MEAN_A_FAULT = set(function_specs(TEMPLATE)) - {"CollectPaymentFunction"}
SIMPLE_COUNT = {
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "ComparisonOperator": "GreaterThanThreshold",
    "Threshold": 0,
    "TreatMissingData": "notBreaching",
}
SHARE_OVER_HALF = {
    "EvaluationPeriods": 3,
    "DatapointsToAlarm": 3,
    "ComparisonOperator": "GreaterThanThreshold",
    "Threshold": 50,
    "TreatMissingData": "notBreaching",
}


def _settings(properties: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    return {name: properties.get(name) for name in names}


def _single_metric(properties: dict[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    return properties["Namespace"], properties["MetricName"], properties["Dimensions"]


def _alarms_on(namespace: str, metric: str) -> dict[str, dict[str, Any]]:
    """Alarms on one metric: a plain metric alarm, or a metric math alarm with it as its numerator."""
    found = {}
    for logical_id, properties in ALARMS.items():
        if properties.get("MetricName") == metric and properties.get("Namespace") == namespace:
            found[logical_id] = properties
        for query in properties.get("Metrics", []):
            stat = query.get("MetricStat", {}).get("Metric", {})
            if query["Id"] == "failed" and (stat.get("Namespace"), stat.get("MetricName")) == (
                namespace,
                metric,
            ):
                found[logical_id] = properties
    return found


def _share(properties: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The numerator's and the denominator's metrics of a share alarm, and its expression."""
    queries = {query["Id"]: query for query in properties["Metrics"]}
    assert set(queries) == {"failed", "total", "failedPercent"}
    assert [query["Id"] for query in properties["Metrics"] if query.get("ReturnData", True)] == [
        "failedPercent"
    ]
    for query_id in ("failed", "total"):
        assert queries[query_id]["MetricStat"]["Stat"] == "Sum"
        assert queries[query_id]["MetricStat"]["Period"] == 300
    return (
        queries["failed"]["MetricStat"]["Metric"],
        queries["total"]["MetricStat"]["Metric"],
        queries["failedPercent"]["Expression"],
    )


# ---------------------------------------------------------------- what is watched


@pytest.mark.parametrize("queue", ["BookingDeadLetterQueue", "LoyaltyDeadLetterQueue"])
def test_a_message_in_either_dead_letter_queue_raises_an_alarm(queue: str) -> None:
    (properties,) = [
        properties
        for properties in _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible").values()
        if properties["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    ]

    # The deepest the queue got in five minutes: one message is enough, and the alarm stays until an
    # operator has dealt with every message.
    assert _settings(properties, SIMPLE_COUNT) == {**SIMPLE_COUNT, "Statistic": "Maximum"}


def test_every_dead_letter_queue_is_watched() -> None:
    watched = {
        properties["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for properties in _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible").values()
    }
    dead_letter_queues = {
        resource["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for resource in RESOURCES.values()
        if resource["Type"] in ("AWS::SQS::Queue", "AWS::SNS::Subscription")
        and "RedrivePolicy" in resource.get("Properties", {})
    }
    # The booking DLQ is the state machine's: it sends failed compensations there itself.
    assert watched == dead_letter_queues | {"BookingDeadLetterQueue"}


def test_a_timed_out_booking_raises_an_alarm() -> None:
    (properties,) = _alarms_on("AWS/States", "ExecutionsTimedOut").values()

    assert _single_metric(properties) == (
        "AWS/States",
        "ExecutionsTimedOut",
        [{"Name": "StateMachineArn", "Value": {"Ref": "BookingStateMachine"}}],
    )
    assert _settings(properties, SIMPLE_COUNT) == SIMPLE_COUNT


def test_failed_bookings_raise_an_alarm_when_they_are_most_of_the_bookings_started() -> None:
    (properties,) = _alarms_on("AWS/States", "ExecutionsFailed").values()
    failed, total, expression = _share(properties)

    dimensions = [{"Name": "StateMachineArn", "Value": {"Ref": "BookingStateMachine"}}]
    assert failed == {"Namespace": "AWS/States", "MetricName": "ExecutionsFailed", "Dimensions": dimensions}
    assert total == {"Namespace": "AWS/States", "MetricName": "ExecutionsStarted", "Dimensions": dimensions}
    assert expression == "IF(total > 0, 100 * failed / total, 0)"
    assert _settings(properties, SHARE_OVER_HALF) == SHARE_OVER_HALF


@pytest.mark.parametrize("function", sorted(ERRORS_MEAN_A_FAULT))
def test_any_error_of_a_function_raises_its_alarm(function: str) -> None:
    (properties,) = [
        properties
        for properties in _alarms_on("AWS/Lambda", "Errors").values()
        if properties.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    ]

    assert _settings(properties, SIMPLE_COUNT) == SIMPLE_COUNT


def test_failed_payments_raise_an_alarm_when_they_are_most_payments() -> None:
    (properties,) = [
        properties for properties in _alarms_on("AWS/Lambda", "Errors").values() if "Metrics" in properties
    ]
    failed, total, expression = _share(properties)

    dimensions = [{"Name": "FunctionName", "Value": {"Ref": "CollectPaymentFunction"}}]
    assert failed == {"Namespace": "AWS/Lambda", "MetricName": "Errors", "Dimensions": dimensions}
    assert total == {"Namespace": "AWS/Lambda", "MetricName": "Invocations", "Dimensions": dimensions}
    assert expression == "IF(total > 0, 100 * failed / total, 0)"
    assert _settings(properties, SHARE_OVER_HALF) == SHARE_OVER_HALF


def test_every_function_has_exactly_one_errors_alarm() -> None:
    watched = []
    for properties in _alarms_on("AWS/Lambda", "Errors").values():
        queries = properties.get("Metrics") or [{"MetricStat": {"Metric": properties}}]
        dimensions = queries[0]["MetricStat"]["Metric"]["Dimensions"]
        watched.append(dimensions[0]["Value"]["Ref"])

    assert sorted(watched) == sorted(function_specs(TEMPLATE))


def test_the_stack_has_the_alarms_above_and_no_other() -> None:
    assert len(ALARMS) == 2 + 2 + len(function_specs(TEMPLATE))


# ---------------------------------------------------------------- who hears them


@pytest.mark.parametrize("logical_id", sorted(ALARMS))
def test_every_alarm_notifies_the_operators_when_it_fires_and_when_it_clears(logical_id: str) -> None:
    properties = ALARMS[logical_id]

    assert properties["AlarmActions"] == [TOPIC]
    assert properties["OKActions"] == [TOPIC]
    assert properties.get("ActionsEnabled", True) is True
    assert properties["TreatMissingData"] == "notBreaching"
    assert len(properties["AlarmDescription"]) > 80, "say what happened and what to do"


def _alarm_arn(logical_id: str, resolver: Any) -> str:
    name = resolver.resolve(ALARMS[logical_id]["AlarmName"])
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"


def _may_publish(
    caller: Principal, context: dict[str, Any], identity: list[dict[str, Any]] | None = None
) -> bool:
    resolver = offline_resolver(TEMPLATE, account_id=ACCOUNT, region=REGION, stack_name=STACK)
    topic = resolver.ref("AlarmTopic")
    policy = resolver.resolve(RESOURCES["AlarmTopicPolicy"]["Properties"]["PolicyDocument"])
    request = AccessRequest(caller, "sns:Publish", topic, context)
    return evaluate(
        request, identity_policies=identity or [], resource_policy=policy, resource_account=ACCOUNT
    ).allowed


@pytest.mark.parametrize("logical_id", sorted(ALARMS))
def test_cloudwatch_may_publish_each_alarm_of_the_stack(logical_id: str) -> None:
    resolver = offline_resolver(TEMPLATE, account_id=ACCOUNT, region=REGION, stack_name=STACK)
    context = {"aws:SourceArn": _alarm_arn(logical_id, resolver), "aws:SourceAccount": ACCOUNT}

    assert _may_publish(Principal.service("cloudwatch.amazonaws.com"), context)


def test_nobody_else_may_publish_to_the_alarm_topic() -> None:
    cloudwatch = Principal.service("cloudwatch.amazonaws.com")
    other_stack = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:other-stack-errors"
    other_account = f"arn:aws:cloudwatch:{REGION}:210987654321:alarm:{STACK}-bookings-failing"
    everything = [
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:*", "Resource": "*"}]}
    ]
    operator = Principal.role_session(f"arn:aws:iam::{ACCOUNT}:role/operator", "ops")

    assert not _may_publish(cloudwatch, {"aws:SourceArn": other_stack, "aws:SourceAccount": ACCOUNT})
    assert not _may_publish(cloudwatch, {"aws:SourceArn": other_account, "aws:SourceAccount": "210987654321"})
    assert not _may_publish(cloudwatch, {})
    # A role of the account granted every SNS action: the topic policy's Deny wins.
    assert not _may_publish(operator, {}, everything)
    assert not _may_publish(Principal.service("sns.amazonaws.com"), {"aws:SourceAccount": ACCOUNT})


def test_the_alarm_email_is_subscribed_only_when_given() -> None:
    (logical_id,) = [
        logical_id
        for logical_id, resource in resources_of_type(TEMPLATE, "AWS::SNS::Subscription").items()
        if resource["Properties"]["TopicArn"] == TOPIC
    ]
    subscription = RESOURCES[logical_id]
    without = offline_resolver(TEMPLATE)
    with_email = offline_resolver(TEMPLATE, parameters={"AlarmEmail": "ops@example.com"})

    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert TEMPLATE["Parameters"]["AlarmEmail"]["Default"] == ""
    assert without.conditions[subscription["Condition"]] is False
    assert with_email.conditions[subscription["Condition"]] is True


@pytest.mark.parametrize("address", ["ops@example.com", "first.last+alarms@ops.example.org", ""])
def test_the_alarm_email_parameter_takes_an_address_or_nothing(address: str) -> None:
    pattern = TEMPLATE["Parameters"]["AlarmEmail"]["AllowedPattern"]
    assert re.fullmatch(pattern, address)
    for wrong in ("ops", "ops@", "@example.com", "a b@example.com", "ops@example"):
        assert not re.fullmatch(pattern, wrong), wrong
