"""Deploying a CloudWatch alarm: the template's properties are PutMetricAlarm's parameters, passed on
whole, and a property the local cloud would not pass on stops the deployment instead of being dropped."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.deploy import Deployer, DeploymentError
from stacktools.project import ACCOUNT_ID, REGION

ERRORS_ALARM: dict[str, Any] = {
    "AlarmDescription": "GetLoyalty failed",
    "Namespace": "AWS/Lambda",
    "MetricName": "Errors",
    "Dimensions": [{"Name": "FunctionName", "Value": "airline-GetLoyaltyFunction"}],
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "ComparisonOperator": "GreaterThanThreshold",
    "Threshold": 0,
    "TreatMissingData": "notBreaching",
    "AlarmActions": [f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:airline-AlarmTopic"],
}


def _deployer() -> Deployer:
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return Deployer(session, account_id=ACCOUNT_ID, region=REGION, stack_name="airline")


def _template(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {"GetLoyaltyErrorsAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}}
    }


@mock_aws
def test_an_alarm_is_created_with_the_templates_properties_and_its_own_name() -> None:
    stack = _deployer().deploy(_template({**ERRORS_ALARM, "AlarmName": "airline-GetLoyalty-errors"}))

    (alarm,) = boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
    assert alarm["AlarmName"] == stack.physical_id("GetLoyaltyErrorsAlarm") == "airline-GetLoyalty-errors"
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:airline-GetLoyalty-errors"
    for name, value in ERRORS_ALARM.items():
        assert alarm[name] == value, name


@mock_aws
def test_an_alarm_without_a_name_is_named_after_the_stack() -> None:
    stack = _deployer().deploy(_template(ERRORS_ALARM))

    assert stack.physical_id("GetLoyaltyErrorsAlarm") == "airline-GetLoyaltyErrorsAlarm"


@mock_aws
def test_a_property_the_local_cloud_would_drop_stops_the_deployment() -> None:
    with pytest.raises(DeploymentError, match=r"GetLoyaltyErrorsAlarm.*Unheard"):
        _deployer().deploy(_template({**ERRORS_ALARM, "Unheard": True}))

    assert boto3.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"] == []
