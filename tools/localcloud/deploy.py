"""Deploy ``template.yaml`` to the local cloud: translate it as SAM would, then create each resource.

There is no hand-kept copy of any resource or policy here: roles get exactly the policy documents of
the translated template (SAM policy templates expanded, intrinsics resolved), tables their keys and
indexes, queues their redrive policies, the state machine its definition with its substitutions.
A change to ``template.yaml`` changes the next local deployment.

Resources the AWS endpoint serves (IAM, DynamoDB, SQS, SNS, Lambda, Step Functions, Cognito, Logs,
CloudWatch alarms) are
created through its API with the local cloud's administrator credentials. Those served by the local
cloud's own endpoints (the REST API, the GraphQL API and the WAF web ACL in front of it) are recorded
with their resolved properties for those endpoints to serve.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import string
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from stacktools.intrinsics import Resolver, evaluate_conditions
from stacktools.references import Identity, physical_id_from_properties, resource_name
from stacktools.resources import (
    create_table_kwargs,
    point_in_time_recovery,
    queue_attributes,
    subscription_attributes,
)
from stacktools.template import creation_order


class DeploymentError(RuntimeError):
    """A resource could not be created; the message names it."""


@dataclass
class DeployedResource:
    logical_id: str
    type: str
    physical_id: str
    properties: dict[str, Any]
    """The resource's properties with every intrinsic resolved."""


@dataclass
class DeployedStack:
    name: str
    account_id: str
    region: str
    resources: dict[str, DeployedResource] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    resolver: Resolver | None = None

    def physical_id(self, logical_id: str) -> str:
        return self.resources[logical_id].physical_id

    def of_type(self, resource_type: str) -> list[DeployedResource]:
        return [resource for resource in self.resources.values() if resource.type == resource_type]


@dataclass
class FunctionCode:
    """Where each deployed function's code lives on this machine (``sam build`` output)."""

    directories: dict[str, Path] = field(default_factory=dict)
    """Function name -> directory with the handler's package and its dependencies."""


def _short_id(length: int) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class Deployer:
    def __init__(
        self,
        session: boto3.Session,
        *,
        account_id: str,
        region: str,
        stack_name: str,
        endpoint_url: str | None = None,
        function_code: FunctionCode | None = None,
        code_root: Path | None = None,
        clients: dict[str, Any] | None = None,
    ) -> None:
        """``clients``: where to keep the deployment's clients, one per service; a caller that deploys
        many times with the same session and endpoint may pass the same dictionary each time."""
        self._session = session
        self._endpoint_url = endpoint_url
        self._account_id = account_id
        self._region = region
        self._stack_name = stack_name
        self._code_root = code_root
        self.function_code = function_code or FunctionCode()
        self._clients: dict[str, Any] = {} if clients is None else clients
        self._handlers: dict[str, Callable[[str, dict[str, Any]], tuple[str, dict[str, str]]]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::SQS::Queue": self._queue,
            "AWS::SQS::QueuePolicy": self._queue_policy,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::TopicPolicy": self._topic_policy,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::CloudWatch::Alarm": self._alarm,
            "AWS::IAM::Role": self._role,
            "AWS::IAM::Policy": self._role_policy,
            "AWS::Lambda::Function": self._function,
            "AWS::Lambda::Permission": self._permission,
            "AWS::Lambda::EventSourceMapping": self._event_source_mapping,
            "AWS::StepFunctions::StateMachine": self._state_machine,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::ApiGateway::RestApi": self._rest_api,
            "AWS::ApiGateway::Deployment": self._recorded(lambda: _short_id(6)),
            "AWS::ApiGateway::Stage": self._stage,
            "AWS::ApiGateway::Account": self._recorded(lambda: f"{self._account_id}-apigateway"),
            "AWS::AppSync::GraphQLApi": self._graphql_api,
            "AWS::AppSync::GraphQLSchema": self._recorded(lambda: _short_id(8)),
            "AWS::AppSync::DataSource": self._data_source,
            "AWS::AppSync::FunctionConfiguration": self._appsync_function,
            "AWS::AppSync::Resolver": self._appsync_resolver,
            # The local AppSync applies the web ACL associated with its API (localcloud.appsync.waf).
            "AWS::WAFv2::WebACL": self._web_acl,
            "AWS::WAFv2::WebACLAssociation": self._recorded(lambda: _short_id(12)),
            "AWS::WAFv2::LoggingConfiguration": self._recorded(lambda: _short_id(12)),
        }

    def _name(self, logical_id: str, resource_type: str, properties: dict[str, Any]) -> str:
        return resource_name(self._stack_name, logical_id, resource_type, properties)

    def _client(self, service: str) -> Any:
        """One client per service for the whole deployment: creating one costs more than most calls."""
        if service not in self._clients:
            self._clients[service] = self._session.client(  # type: ignore[call-overload]
                service, region_name=self._region, endpoint_url=self._endpoint_url
            )
        return self._clients[service]

    # ------------------------------------------------------------------ the whole stack

    def deploy(
        self,
        template: dict[str, Any],
        parameters: Mapping[str, str] | None = None,
        only_types: Iterable[str] | None = None,
    ) -> DeployedStack:
        """Create the template's resources (all, or only those of ``only_types``) in dependency order."""
        resolver = Resolver(account_id=self._account_id, region=self._region, stack_name=self._stack_name)
        resolver.refs.update(_parameter_values(template, parameters or {}))
        resolver.conditions.update(evaluate_conditions(template.get("Conditions", {}), resolver))
        self._resolver = resolver
        stack = DeployedStack(
            name=self._stack_name, account_id=self._account_id, region=self._region, resolver=resolver
        )
        wanted = set(only_types) if only_types is not None else None
        resources = {
            logical_id: resource
            for logical_id, resource in template["Resources"].items()
            if resolver.conditions.get(resource.get("Condition", ""), True)
            and (wanted is None or resource["Type"] in wanted)
        }
        try:
            order = creation_order(resources)
        except ValueError as error:
            raise DeploymentError(str(error)) from None
        for logical_id in order:
            resource = resources[logical_id]
            handler = self._handlers.get(resource["Type"])
            if handler is None:
                raise DeploymentError(f"{logical_id}: the local cloud cannot create {resource['Type']}")
            try:
                properties = resolver.resolve(resource.get("Properties", {}))
                physical_id, generated = handler(logical_id, properties)
                described = resolver.add_resource(
                    Identity(
                        logical_id,
                        resource["Type"],
                        self._account_id,
                        self._region,
                        physical_id,
                        generated,
                        properties,
                    )
                )
            except DeploymentError:
                raise
            except Exception as error:
                raise DeploymentError(f"{logical_id} ({resource['Type']}): {error}") from error
            stack.resources[logical_id] = DeployedResource(
                logical_id, resource["Type"], described.ref, properties
            )
        if wanted is None:
            stack.outputs = {
                name: str(resolver.resolve(output["Value"]))
                for name, output in template.get("Outputs", {}).items()
                if resolver.conditions.get(output.get("Condition", ""), True)
            }
        return stack

    # ------------------------------------------------------------------ data and messaging

    def _table(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        name = self._name(logical_id, "AWS::DynamoDB::Table", properties)
        dynamodb = self._client("dynamodb")
        dynamodb.create_table(**create_table_kwargs(properties, name))
        if point_in_time_recovery(properties):
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        time_to_live = properties.get("TimeToLiveSpecification")
        if time_to_live:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "AttributeName": time_to_live["AttributeName"],
                    "Enabled": bool(time_to_live["Enabled"]),
                },
            )
        return name, {}

    def _queue(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        name = self._name(logical_id, "AWS::SQS::Queue", properties)
        url = self._client("sqs").create_queue(QueueName=name, Attributes=queue_attributes(properties))[
            "QueueUrl"
        ]
        return name, {"QueueUrl": url}

    def _queue_policy(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        sqs = self._client("sqs")
        for url in properties["Queues"]:
            sqs.set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(properties["PolicyDocument"])}
            )
        return logical_id, {}

    def _topic(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        name = self._name(logical_id, "AWS::SNS::Topic", properties)
        self._client("sns").create_topic(Name=name)
        return name, {}

    def _topic_policy(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        sns = self._client("sns")
        for topic_arn in properties["Topics"]:
            sns.set_topic_attributes(
                TopicArn=topic_arn,
                AttributeName="Policy",
                AttributeValue=json.dumps(properties["PolicyDocument"]),
            )
        return logical_id, {}

    def _subscription(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        arn = self._client("sns").subscribe(
            TopicArn=properties["TopicArn"],
            Protocol=properties["Protocol"],
            Endpoint=properties["Endpoint"],
            Attributes=subscription_attributes(properties),
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return arn, {}

    def _log_group(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        name = self._name(logical_id, "AWS::Logs::LogGroup", properties)
        logs = self._client("logs")
        logs.create_log_group(logGroupName=name)
        if "RetentionInDays" in properties:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(properties["RetentionInDays"]))
        return name, {}

    def _alarm(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """A metric alarm, or a metric math alarm, as CloudFormation creates it (PutMetricAlarm: the
        resource's properties are the operation's parameters). A property the local cloud would not
        pass on is refused rather than dropped: the alarm would watch something else than in AWS."""
        unknown = set(properties) - _ALARM_PROPERTIES
        if unknown:
            raise DeploymentError(
                f"{logical_id}: alarm properties not deployed locally: {', '.join(sorted(unknown))}"
            )
        name = self._name(logical_id, "AWS::CloudWatch::Alarm", properties)
        self._client("cloudwatch").put_metric_alarm(**{**properties, "AlarmName": name})
        return name, {}

    # ------------------------------------------------------------------ identities

    def _role(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        name = self._name(logical_id, "AWS::IAM::Role", properties)
        iam = self._client("iam")
        role = iam.create_role(
            RoleName=name,
            Path=properties.get("Path", "/"),
            AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]),
            Description=properties.get("Description", ""),
        )["Role"]
        for policy in properties.get("Policies", []):
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=_policy_text(policy["PolicyDocument"]),
            )
        for policy_arn in properties.get("ManagedPolicyArns", []):
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        return name, {"RoleId": role["RoleId"]}

    def _role_policy(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        iam = self._client("iam")
        for role_name in properties.get("Roles", []):
            iam.put_role_policy(
                RoleName=role_name,
                PolicyName=properties["PolicyName"],
                PolicyDocument=_policy_text(properties["PolicyDocument"]),
            )
        return logical_id, {}

    # ------------------------------------------------------------------ compute

    def _function(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        name = self._name(logical_id, "AWS::Lambda::Function", properties)
        if self._code_root is not None:
            directory = self._code_root / logical_id
            if not directory.is_dir():
                raise DeploymentError(f"{logical_id}: no built code in {directory} (run sam build)")
            self.function_code.directories[name] = directory
        placeholder = io.BytesIO()
        with zipfile.ZipFile(placeholder, "w") as archive:
            archive.writestr(
                "README.txt", "The local cloud runs this function's code from its build directory."
            )
        self._client("lambda").create_function(
            FunctionName=name,
            Runtime=properties["Runtime"],
            Role=properties["Role"],
            Handler=properties["Handler"],
            Code={"ZipFile": placeholder.getvalue()},
            Timeout=int(properties.get("Timeout", 3)),
            MemorySize=int(properties.get("MemorySize", 128)),
            Environment={
                "Variables": {
                    key: str(value)
                    for key, value in properties.get("Environment", {}).get("Variables", {}).items()
                }
            },
            Architectures=properties.get("Architectures", ["x86_64"]),
            Description=properties.get("Description", ""),
        )
        return name, {}

    def _permission(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        arguments = {
            "FunctionName": properties["FunctionName"],
            "StatementId": logical_id,
            "Action": properties["Action"],
            "Principal": properties["Principal"],
        }
        for optional in ("SourceArn", "SourceAccount"):
            if optional in properties:
                arguments[optional] = properties[optional]
        self._client("lambda").add_permission(**arguments)
        return logical_id, {}

    def _event_source_mapping(
        self, logical_id: str, properties: dict[str, Any]
    ) -> tuple[str, dict[str, str]]:
        arguments: dict[str, Any] = {
            "EventSourceArn": properties["EventSourceArn"],
            "FunctionName": properties["FunctionName"],
            "BatchSize": int(properties.get("BatchSize", 10)),
            "Enabled": bool(properties.get("Enabled", True)),
        }
        if "FunctionResponseTypes" in properties:
            arguments["FunctionResponseTypes"] = properties["FunctionResponseTypes"]
        mapping = self._client("lambda").create_event_source_mapping(**arguments)
        return str(mapping["UUID"]), {}

    def _state_machine(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        name = self._name(logical_id, "AWS::StepFunctions::StateMachine", properties)
        definition = properties.get("DefinitionString") or json.dumps(properties["Definition"])
        for placeholder, value in properties.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + placeholder + "}", str(value))
        unresolved = re.findall(r"\$\{(\w+)\}", definition)
        if unresolved:
            raise DeploymentError(f"{logical_id}: no substitution for {', '.join(sorted(set(unresolved)))}")
        self._client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=properties["RoleArn"],
            type=properties.get("StateMachineType", "STANDARD"),
            **_state_machine_logging(properties.get("LoggingConfiguration")),
        )
        return name, {}

    # ------------------------------------------------------------------ customers

    def _user_pool(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        allowed = (
            "Policies",
            "UsernameAttributes",
            "AutoVerifiedAttributes",
            "MfaConfiguration",
            "AdminCreateUserConfig",
            "AccountRecoverySetting",
            "Schema",
        )
        pool = self._client("cognito-idp").create_user_pool(
            PoolName=self._name(logical_id, "AWS::Cognito::UserPool", properties),
            **{key: properties[key] for key in allowed if key in properties},
        )["UserPool"]
        return str(pool["Id"]), {}

    def _user_pool_client(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        allowed = (
            "GenerateSecret",
            "ExplicitAuthFlows",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
            "AccessTokenValidity",
            "IdTokenValidity",
            "TokenValidityUnits",
        )
        client = self._client("cognito-idp").create_user_pool_client(
            UserPoolId=properties["UserPoolId"],
            ClientName=properties.get("ClientName") or f"{self._stack_name}-{logical_id}",
            **{key: properties[key] for key in allowed if key in properties},
        )["UserPoolClient"]
        return str(client["ClientId"]), {}

    def _user_pool_group(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        self._client("cognito-idp").create_group(
            GroupName=properties["GroupName"],
            UserPoolId=properties["UserPoolId"],
            Description=properties.get("Description", ""),
        )
        return physical_id_from_properties(logical_id, "AWS::Cognito::UserPoolGroup", properties), {}

    # ------------------------------------------------------------------ served by the local cloud itself

    def _recorded(
        self, new_id: Callable[[], str]
    ) -> Callable[[str, dict[str, Any]], tuple[str, dict[str, str]]]:
        return lambda _logical_id, _properties: (new_id(), {})

    def _rest_api(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        return _short_id(10), {"RootResourceId": _short_id(10)}

    def _stage(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        return physical_id_from_properties(logical_id, "AWS::ApiGateway::Stage", properties), {}

    def _graphql_api(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        return _short_id(26), {}

    def _web_acl(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        return str(uuid.uuid4()), {}

    def _data_source(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        return physical_id_from_properties(logical_id, "AWS::AppSync::DataSource", properties), {}

    def _appsync_function(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        return _short_id(26), {}

    def _appsync_resolver(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, dict[str, str]]:
        return physical_id_from_properties(logical_id, "AWS::AppSync::Resolver", properties), {}


# ---------------------------------------------------------------------- template evaluation

# AWS::CloudWatch::Alarm's properties, each a PutMetricAlarm parameter of the same name and shape.
_ALARM_PROPERTIES = frozenset(
    {
        "ActionsEnabled",
        "AlarmActions",
        "AlarmDescription",
        "AlarmName",
        "ComparisonOperator",
        "DatapointsToAlarm",
        "Dimensions",
        "EvaluateLowSampleCountPercentile",
        "EvaluationPeriods",
        "ExtendedStatistic",
        "InsufficientDataActions",
        "MetricName",
        "Metrics",
        "Namespace",
        "OKActions",
        "Period",
        "Statistic",
        "Tags",
        "Threshold",
        "ThresholdMetricId",
        "TreatMissingData",
        "Unit",
    }
)


def _policy_text(document: dict[str, Any]) -> str:
    """IAM accepts a policy without Version (it then means 2008-10-17, under which policy variables
    are plain text); moto's IAM refuses one. SAM's policy templates produce such documents. Giving
    them 2012-10-17 changes nothing as long as they contain no policy variable, which is checked."""
    text = json.dumps(document)
    if "Version" in document:
        return text
    if "${" in text:
        raise DeploymentError(f"a policy without Version uses a policy variable: {text}")
    return json.dumps({"Version": "2012-10-17", **document})


def _state_machine_logging(configuration: dict[str, Any] | None) -> dict[str, Any]:
    """``LoggingConfiguration`` as CreateStateMachine takes it. Step Functions refuses a destination that
    is not a log group ARN, and so does this; the local cloud's Step Functions then writes the
    executions' log events (at the configured level, with or without execution data) to that group."""
    if not configuration:
        return {}
    destinations = []
    for destination in configuration.get("Destinations", []):
        arn = str(destination["CloudWatchLogsLogGroup"]["LogGroupArn"])
        if not re.fullmatch(r"arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[^:]+:\*", arn):
            raise DeploymentError(
                f"a state machine's log destination must be a log group ARN ending in :*, not {arn}"
            )
        destinations.append({"cloudWatchLogsLogGroup": {"logGroupArn": arn}})
    return {
        "loggingConfiguration": {
            "level": str(configuration.get("Level", "OFF")),
            "includeExecutionData": bool(configuration.get("IncludeExecutionData", False)),
            "destinations": destinations,
        }
    }


def _parameter_values(template: dict[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    values = {}
    for name, spec in template.get("Parameters", {}).items():
        if name in given:
            values[name] = str(given[name])
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            raise DeploymentError(f"parameter {name} has no value and no default")
    unknown = set(given) - set(values)
    if unknown:
        raise DeploymentError(f"unknown parameters: {', '.join(sorted(unknown))}")
    return values
