"""The stack's data and messaging resources, built in moto from ``template.yaml``.

Component and state-machine tests use this so their tables, topic, queues and subscription cannot
drift from the template: keys, indexes, redrive policies, the subscription's filter policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from stacktools.intrinsics import Resolver
from stacktools.resources import (
    create_table_kwargs,
    point_in_time_recovery,
    queue_attributes,
    subscription_attributes,
)
from stacktools.template import FunctionSpec, function_specs, resources_of_type

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
STACK_NAME = "airline-test"


@dataclass
class MockStack:
    template: dict[str, Any]
    resolver: Resolver

    def physical_id(self, logical_id: str) -> str:
        return self.resolver.ref(logical_id)

    def function(self, logical_id: str) -> FunctionSpec:
        return function_specs(self.template)[logical_id]

    def environment_of(self, logical_id: str) -> dict[str, str]:
        """The function's environment exactly as the template declares it, intrinsics resolved."""
        env = self.resolver.resolve(self.function(logical_id).environment)
        return {key: str(value) for key, value in env.items()}


def physical_name(logical_id: str) -> str:
    return f"{STACK_NAME}-{logical_id}"


def new_resolver(template: dict[str, Any]) -> Resolver:
    parameters = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
    return Resolver(account_id=ACCOUNT_ID, region=REGION, stack_name=STACK_NAME, refs=dict(parameters))


def build_data_resources(template: dict[str, Any]) -> MockStack:
    """Create every table, queue, topic and subscription of the template (inside an active moto mock)."""
    resolver = new_resolver(template)
    _create_tables(template, resolver)
    _create_queues(template, resolver)
    _create_topics(template, resolver)
    _apply_queue_policies(template, resolver)
    _create_subscriptions(template, resolver)
    return MockStack(template=template, resolver=resolver)


def _create_tables(template: dict[str, Any], resolver: Resolver) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        name = physical_name(logical_id)
        properties = resolver.resolve(resource["Properties"])
        table = dynamodb.create_table(**create_table_kwargs(properties, name))["TableDescription"]
        if point_in_time_recovery(properties):
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        resolver.refs[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = table["TableArn"]


def _create_queues(template: dict[str, Any], resolver: Resolver) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    queues = resources_of_type(template, "AWS::SQS::Queue")
    # Queues named as dead-letter targets must exist before the queues that redrive to them.
    for logical_id in sorted(queues, key=lambda name: "RedrivePolicy" in queues[name]["Properties"]):
        name = physical_name(logical_id)
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        resolver.attributes[(logical_id, "Arn")] = arn
        resolver.attributes[(logical_id, "QueueName")] = name
        properties = resolver.resolve(queues[logical_id].get("Properties", {}))
        attributes: Any = queue_attributes(properties)
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        resolver.refs[logical_id] = url


def _apply_queue_policies(template: dict[str, Any], resolver: Resolver) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    for resource in resources_of_type(template, "AWS::SQS::QueuePolicy").values():
        properties = resolver.resolve(resource["Properties"])
        for url in properties["Queues"]:
            sqs.set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(properties["PolicyDocument"])}
            )


def _create_topics(template: dict[str, Any], resolver: Resolver) -> None:
    sns = boto3.client("sns", region_name=REGION)
    for logical_id in resources_of_type(template, "AWS::SNS::Topic"):
        name = physical_name(logical_id)
        arn = sns.create_topic(Name=name)["TopicArn"]
        resolver.refs[logical_id] = arn
        resolver.attributes[(logical_id, "TopicArn")] = arn
        resolver.attributes[(logical_id, "TopicName")] = name


def _create_subscriptions(template: dict[str, Any], resolver: Resolver) -> None:
    sns = boto3.client("sns", region_name=REGION)
    for resource in resources_of_type(template, "AWS::SNS::Subscription").values():
        properties = resolver.resolve(resource["Properties"])
        sns.subscribe(
            TopicArn=properties["TopicArn"],
            Protocol=properties["Protocol"],
            Endpoint=properties["Endpoint"],
            Attributes=subscription_attributes(properties),
        )
