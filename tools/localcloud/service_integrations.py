"""Calls AWS services make on your behalf, made with the identity AWS would use.

* Step Functions: moto's interpreter (5.2.5) calls Lambda, DynamoDB and SQS with fixed fake
  credentials. Here it uses temporary credentials of the state machine's role, assumed as Step
  Functions assumes it: as ``states.amazonaws.com``, with ``aws:SourceArn`` (the state machine whose
  execution runs the task) and ``aws:SourceAccount`` for the trust policy's conditions. So each task is
  authorised against that role's policies, and a role that trusts another state machine is refused.
* SNS delivering to SQS: AWS delivers only if the queue's policy allows ``sns.amazonaws.com`` to send
  for that topic (``aws:SourceArn``, ``aws:SourceAccount``); moto delivers regardless. Here a delivery
  the queue policy refuses is dropped, as AWS drops it.
* The context object of an execution: moto gives ``$$.Execution.StartTime`` as a ``datetime``;
  Step Functions gives ISO 8601 text (``2030-01-08T08:05:00.123Z``), which is what a state passes on
  and what DynamoDB conditions compare. Here it is that text.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import moto.stepfunctions.parser as stepfunctions_parser
from botocore.config import Config
from moto.sns.models import Subscription
from moto.sqs.models import sqs_backends
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.backend.execution import Execution

from iam_eval import AccessRequest, Principal, evaluate
from localcloud.identity import MotoIdentityDirectory

STATE_MACHINE_SESSION = "StepFunctions-execution"
_TASK_TIMEOUT_SECONDS = 99_999  # the interpreter applies the state's own TimeoutSeconds


class _SourcedStateCredentials(StateCredentials):
    """A task's credentials as moto's interpreter computes them (the role), and the state machine whose
    execution runs the task: what Step Functions sets as ``aws:SourceArn`` when it assumes the role."""

    def __init__(self, role_arn: str, state_machine_arn: str) -> None:
        super().__init__(role_arn=role_arn)
        self.state_machine_arn = state_machine_arn


class StepFunctionsCredentials:
    def __init__(
        self, directory: MotoIdentityDirectory, *, account_id: str, endpoint_url: Callable[[], str]
    ) -> None:
        self._directory = directory
        self._account_id = account_id
        self._endpoint_url = endpoint_url
        self._patched: list[tuple[Any, Any]] = []
        self._original_state_credentials: Any = None

    def client_for(self, region: str, service: str, state_credentials: Any = None) -> Any:
        role_arn = getattr(state_credentials, "role_arn", None)
        state_machine_arn = getattr(state_credentials, "state_machine_arn", None)
        if not role_arn or not state_machine_arn:
            raise PermissionError("a state machine task ran without the state machine's role")
        credentials = self._directory.service_role_credentials(
            role_arn,
            "states.amazonaws.com",
            STATE_MACHINE_SESSION,
            {"aws:SourceAccount": self._account_id, "aws:SourceArn": state_machine_arn},
        )
        return boto3.client(  # type: ignore[call-overload]
            service,
            region_name=region,
            endpoint_url=self._endpoint_url(),
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=Config(
                parameter_validation=False,
                retries={"max_attempts": 0, "total_max_attempts": 1},
                connect_timeout=_TASK_TIMEOUT_SECONDS,
                read_timeout=_TASK_TIMEOUT_SECONDS,
            ),
        )

    def install(self) -> None:
        """Every interpreter module imported ``boto_client_for`` by name: rebind it in each. Every task
        computes its credentials in ``StateTask._eval_state_credentials``: add the state machine there."""
        original = self._original_state_credentials = StateTask._eval_state_credentials

        def with_state_machine(task: StateTask, env: Environment) -> StateCredentials:
            computed = original(task, env)
            state_machine = env.states.context_object.context_object_data["StateMachine"]["Id"]
            return _SourcedStateCredentials(computed.role_arn, state_machine)

        StateTask._eval_state_credentials = with_state_machine  # type: ignore[method-assign,assignment]
        for module_info in pkgutil.walk_packages(
            stepfunctions_parser.__path__, stepfunctions_parser.__name__ + "."
        ):
            try:
                module = importlib.import_module(module_info.name)
            except ImportError:
                continue  # a few modules (usage analytics) do not import in moto; moto never uses them
            if hasattr(module, "boto_client_for"):
                self._patched.append((module, module.boto_client_for))
                module.boto_client_for = self.client_for  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        for module, original in self._patched:
            module.boto_client_for = original
        self._patched.clear()
        if self._original_state_credentials is not None:
            StateTask._eval_state_credentials = self._original_state_credentials  # type: ignore[method-assign]
            self._original_state_credentials = None


class SnsToSqsDelivery:
    def __init__(self, *, account_id: str) -> None:
        self._account_id = account_id
        self._original: Any = None
        self.dropped: list[str] = []
        self._lock = threading.Lock()

    def allowed(self, topic_arn: str, queue_arn: str) -> bool:
        region = queue_arn.split(":")[3]
        queue = sqs_backends[self._account_id][region].get_queue(queue_arn.rsplit(":", 1)[-1])
        policy = json.loads(queue.policy) if isinstance(queue.policy, str) and queue.policy else None
        decision = evaluate(
            AccessRequest(
                Principal.service("sns.amazonaws.com"),
                "sqs:SendMessage",
                queue_arn,
                # What SNS sends on a topic's behalf: the topic, and the account that owns it.
                {"aws:SourceArn": topic_arn, "aws:SourceAccount": topic_arn.split(":")[4]},
            ),
            identity_policies=[],
            resource_policy=policy,
            resource_account=self._account_id,
        )
        return decision.allowed

    def install(self) -> None:
        delivery = self
        self._original = Subscription.publish

        def publish(subscription: Subscription, message: str, *args: Any, **kwargs: Any) -> None:
            if subscription.protocol == "sqs" and not delivery.allowed(
                subscription.topic.arn, subscription.endpoint
            ):
                with delivery._lock:
                    delivery.dropped.append(f"{subscription.topic.arn} -> {subscription.endpoint}")
                return
            delivery._original(subscription, message, *args, **kwargs)

        Subscription.publish = publish  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            Subscription.publish = self._original  # type: ignore[method-assign]
            self._original = None


def step_functions_timestamp(moment: datetime) -> str:
    """A time as Step Functions writes it in the context object: UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class ExecutionStartTimes:
    """Replaces ``Execution.get_start_execution_details`` (moto 5.2.5), where the context object's
    ``Execution.StartTime`` comes from."""

    def __init__(self) -> None:
        self._original: Any = None

    def install(self) -> None:
        original = self._original = Execution.get_start_execution_details

        def details(execution: Execution) -> Any:
            found = original(execution)
            if isinstance(found.start_time, datetime):
                found.start_time = step_functions_timestamp(found.start_time)
            return found

        Execution.get_start_execution_details = details  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            Execution.get_start_execution_details = self._original  # type: ignore[method-assign]
            self._original = None
