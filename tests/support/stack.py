"""The stack deployed into an embedded (in-process) moto, from ``template.yaml``, through the deployer.

Component and state-machine tests use this, so their tables, topic, queues, subscription, roles,
functions and state machine are the template's: keys, indexes, redrive policies, filter policies,
the state machine's definition and substitutions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3

from localcloud.deploy import DeployedStack, Deployer
from stacktools.project import ACCOUNT_ID, REGION, TEST_STACK_NAME
from stacktools.template import FunctionSpec, function_specs, project_template
from stacktools.translate import translate

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

STACK_NAME = TEST_STACK_NAME

__all__ = [
    "ACCOUNT_ID",
    "DATA_RESOURCE_TYPES",
    "REGION",
    "STACK_NAME",
    "MockStack",
    "attached_aws_managed_policies",
    "deploy_embedded",
    "embedded_client",
    "physical_name",
]

DATA_RESOURCE_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
)
"""What handlers need to run: enough for component tests, and quick to create. Queue and topic
policies name the functions' roles, which only a whole-stack deployment creates; embedded moto does
not evaluate them anyway (the local cloud does)."""


@dataclass
class MockStack:
    template: dict[str, Any]
    deployed: DeployedStack

    def physical_id(self, logical_id: str) -> str:
        return self.deployed.physical_id(logical_id)

    def function(self, logical_id: str) -> FunctionSpec:
        return function_specs(self.template)[logical_id]

    def environment_of(self, logical_id: str) -> dict[str, str]:
        """The function's environment exactly as the template declares it, intrinsics resolved."""
        assert self.deployed.resolver is not None
        env = self.deployed.resolver.resolve(self.function(logical_id).environment)
        return {key: str(value) for key, value in env.items()}


_AWS_MANAGED_POLICY_ARN = re.compile(r":iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)")


def attached_aws_managed_policies(translated: dict[str, Any]) -> set[str]:
    """The names of the AWS managed policies a translated template names anywhere (in plain ARNs or
    in ``Fn::Sub`` text with ``${AWS::Partition}``)."""
    return set(_AWS_MANAGED_POLICY_ARN.findall(json.dumps(translated)))


def physical_name(logical_id: str) -> str:
    return f"{STACK_NAME}-{logical_id}"


_SESSION = boto3.Session()
"""The session of every embedded deployment and test client of the process: a new session reads each
service's API model again. It holds no AWS state, and moto's credentials are the same in every mock."""

_CLIENTS: dict[str, Any] = {}
"""The clients of :func:`embedded_client`, one per service, shared by every deployment: creating a client
costs more than most calls, and a client holds no AWS state (moto intercepts the calls of every client,
whenever it was created, while a mock is active; each test's mock starts empty)."""


@overload
def embedded_client(service: Literal["dynamodb"]) -> DynamoDBClient: ...
@overload
def embedded_client(service: Literal["sqs"]) -> SQSClient: ...
@overload
def embedded_client(service: Literal["sns"]) -> SNSClient: ...
@overload
def embedded_client(service: Literal["stepfunctions"]) -> SFNClient: ...
@overload
def embedded_client(service: str) -> Any: ...
def embedded_client(service: str) -> Any:
    """The process's client of ``service`` in the stack's region, for calls into the active moto mock."""
    if service not in _CLIENTS:
        _CLIENTS[service] = _SESSION.client(service, region_name=REGION)  # type: ignore[call-overload]
    return _CLIENTS[service]


def deploy_embedded(
    template: dict[str, Any] | None = None, only_types: tuple[str, ...] | None = None
) -> MockStack:
    """Deploy the template (or only resources of ``only_types``) inside an active moto mock.

    A full deployment attaches AWS managed policies: the mock must load them
    (``mock_aws(config={"iam": {"load_aws_managed_policies": True}})``), at least those
    :func:`attached_aws_managed_policies` names.
    """
    source = project_template() if template is None else template
    deployer = Deployer(
        _SESSION, account_id=ACCOUNT_ID, region=REGION, stack_name=STACK_NAME, clients=_CLIENTS
    )
    return MockStack(template=source, deployed=deployer.deploy(translate(source), only_types=only_types))
