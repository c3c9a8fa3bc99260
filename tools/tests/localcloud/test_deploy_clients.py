"""A caller that deploys many times may keep the deployments' clients: each service's is made once."""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from localcloud.deploy import Deployer
from stacktools.project import ACCOUNT_ID, REGION

TEMPLATE = {"Resources": {"Orders": {"Type": "AWS::SQS::Queue", "Properties": {}}}}


def _deploy(session: boto3.Session, clients: dict[str, Any] | None = None) -> str:
    """In a new mock: the template deployed, and the queues the mock then holds."""
    with mock_aws():
        deployer = Deployer(
            session, account_id=ACCOUNT_ID, region=REGION, stack_name="airline", clients=clients
        )
        stack = deployer.deploy(TEMPLATE)
        (queue_url,) = boto3.client("sqs", region_name=REGION).list_queues()["QueueUrls"]
    assert queue_url == stack.physical_id("Orders")
    return queue_url


class CountingSession(boto3.Session):
    """A session that counts the clients it makes."""

    made = 0

    def client(self, *args: Any, **kwargs: Any) -> Any:
        self.made += 1
        return super().client(*args, **kwargs)


def _session() -> CountingSession:
    return CountingSession(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)


def test_deployments_given_the_same_clients_make_each_one_once() -> None:
    session = _session()
    clients: dict[str, Any] = {}

    _deploy(session, clients)
    kept = dict(clients)
    _deploy(session, clients)

    assert session.made == 1
    assert list(kept) == ["sqs"]
    assert clients["sqs"] is kept["sqs"]


def test_each_deployment_given_no_clients_makes_its_own() -> None:
    session = _session()

    _deploy(session)
    _deploy(session)

    assert session.made == 2
