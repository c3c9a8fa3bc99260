"""The stack's alarms as the local cloud deploys them from template.yaml: each one exists in CloudWatch
with the template's metric, statistic, threshold and missing-data treatment, watches a resource that
was deployed (the function, queue or state machine its dimension names), and notifies the alarm topic
when it fires and when it clears. The stack is deployed with an operator's email address, which is
subscribed to that topic. (How an alarm changes state when its metric moves, and who receives its
notice: tests/e2e/test_alarm_evaluation.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import require_build
from tests.support.local_cloud import LocalCloud, prewarmed_cloud
from tests.support.template import project_template

pytestmark = pytest.mark.local_cloud

OPERATOR = "operator@example.com"
TEMPLATE_ALARMS = {
    logical_id
    for logical_id, resource in project_template()["Resources"].items()
    if resource["Type"] == "AWS::CloudWatch::Alarm"
}
# What PutMetricAlarm was given and DescribeAlarms gives back under the same name.
DEFINITION = (
    "AlarmDescription",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "ComparisonOperator",
    "TreatMissingData",
    "AlarmActions",
    "OKActions",
)


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    require_build()
    with prewarmed_cloud(parameters={"AlarmEmail": OPERATOR}).start() as running:
        yield running


@pytest.fixture(scope="module")
def alarms(cloud: LocalCloud) -> dict[str, dict[str, Any]]:
    """Logical id -> the alarm as CloudWatch describes it."""
    assert cloud.stack is not None
    described = {
        alarm["AlarmName"]: alarm for alarm in cloud.client("cloudwatch").describe_alarms()["MetricAlarms"]
    }
    return {logical_id: described[cloud.stack.physical_id(logical_id)] for logical_id in TEMPLATE_ALARMS}


def _deployed_properties(cloud: LocalCloud, logical_id: str) -> dict[str, Any]:
    assert cloud.stack is not None
    return cloud.stack.resources[logical_id].properties


def test_every_alarm_of_the_template_is_in_cloudwatch_and_no_other(
    cloud: LocalCloud, alarms: dict[str, dict[str, Any]]
) -> None:
    names = {alarm["AlarmName"] for alarm in cloud.client("cloudwatch").describe_alarms()["MetricAlarms"]}

    assert set(alarms) == TEMPLATE_ALARMS
    assert names == {alarm["AlarmName"] for alarm in alarms.values()}


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE_ALARMS))
def test_each_alarm_is_defined_as_the_template_says(
    cloud: LocalCloud, alarms: dict[str, dict[str, Any]], logical_id: str
) -> None:
    template = _deployed_properties(cloud, logical_id)
    alarm = alarms[logical_id]

    for name in DEFINITION:
        if name in template:
            assert alarm[name] == template[name], name
    assert alarm["Threshold"] == float(template["Threshold"])
    assert alarm["ActionsEnabled"] is True
    if "Metrics" in template:
        assert [
            {
                key: value
                for key, value in query.items()
                if key in ("Id", "Expression", "MetricStat", "ReturnData")
            }
            for query in alarm["Metrics"]
        ] == [
            {
                key: value
                for key, value in query.items()
                if key in ("Id", "Expression", "MetricStat", "ReturnData")
            }
            for query in template["Metrics"]
        ]


def _metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm reads: its own, or each metric query's."""
    if alarm.get("MetricName"):
        return [{key: alarm[key] for key in ("Namespace", "MetricName", "Dimensions")}]
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


def test_every_alarm_watches_a_deployed_resource(
    cloud: LocalCloud, alarms: dict[str, dict[str, Any]]
) -> None:
    assert cloud.stack is not None
    lambda_client, sqs, stepfunctions = (
        cloud.client(service) for service in ("lambda", "sqs", "stepfunctions")
    )
    watched: dict[str, set[str]] = {"FunctionName": set(), "QueueName": set(), "StateMachineArn": set()}

    for alarm in alarms.values():
        for metric in _metrics(alarm):
            (dimension,) = metric["Dimensions"]
            watched[dimension["Name"]].add(dimension["Value"])

    for function in watched["FunctionName"]:
        lambda_client.get_function(FunctionName=function)
    queues = {url.rsplit("/", 1)[-1] for url in sqs.list_queues()["QueueUrls"]}
    assert watched["QueueName"] <= queues
    for state_machine in watched["StateMachineArn"]:
        stepfunctions.describe_state_machine(stateMachineArn=state_machine)
    functions = {resource.physical_id for resource in cloud.stack.of_type("AWS::Lambda::Function")}
    assert watched["FunctionName"] == functions
    assert watched["QueueName"] == {
        cloud.stack.resources[queue].physical_id.rsplit("/", 1)[-1]
        for queue in ("BookingDeadLetterQueue", "LoyaltyDeadLetterQueue")
    }
    assert watched["StateMachineArn"] == {cloud.stack.outputs["BookingStateMachineArn"]}


def test_every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears(
    cloud: LocalCloud, alarms: dict[str, dict[str, Any]]
) -> None:
    assert cloud.stack is not None
    topic = cloud.stack.outputs["AlarmTopicArn"]
    cloud.client("sns").get_topic_attributes(TopicArn=topic)

    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]
        assert alarm["InsufficientDataActions"] == []


def test_the_alarm_topic_has_the_templates_policy_and_the_operators_email(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    sns = cloud.client("sns")
    topic = cloud.stack.outputs["AlarmTopicArn"]

    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]

    assert policy == _deployed_properties(cloud, "AlarmTopicPolicy")["PolicyDocument"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", OPERATOR)]
    # The condition names the stack's alarms as deployed here.
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    pattern = allow["Condition"]["ArnLike"]["aws:SourceArn"]
    assert pattern.endswith(f":alarm:{cloud.stack.name}-*")
    for alarm in cloud.stack.of_type("AWS::CloudWatch::Alarm"):
        assert alarm.physical_id.startswith(f"{cloud.stack.name}-")
