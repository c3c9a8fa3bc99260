"""Calls AWS services make on your behalf, made with the identity AWS would use.

* Step Functions: moto's interpreter (5.2.5) calls Lambda, DynamoDB and SQS with fixed fake
  credentials. Here it uses temporary credentials of the state machine's role, assumed as Step
  Functions assumes it: as ``states.amazonaws.com``, with ``aws:SourceArn`` (the state machine whose
  execution runs the task) and ``aws:SourceAccount`` for the trust policy's conditions. So each task is
  authorised against that role's policies, and a role that trusts another state machine is refused.
* SNS delivering to SQS: AWS delivers only if the queue's policy allows ``sns.amazonaws.com`` to send
  for that topic (``aws:SourceArn``, ``aws:SourceAccount``); moto delivers regardless. Here a delivery
  the queue policy refuses fails, and a failed delivery goes to the subscription's dead-letter queue
  (moto drops it).
* The context object of an execution: moto gives ``$$.Execution.StartTime`` as a ``datetime``;
  Step Functions gives ISO 8601 text (``2030-01-08T08:05:00.123Z``), which is what a state passes on
  and what DynamoDB conditions compare. Here it is that text.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from moto.core.exceptions import ServiceException, _RESTError
from moto.sns.models import Subscription
from moto.sqs.models import sqs_backends
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.backend.execution import Execution

from iam_eval import AccessRequest, Principal, evaluate
from localcloud import moto_seams
from localcloud.identity import Credentials, MotoIdentityDirectory
from localcloud.sessions import ClientsByCredentials

STATE_MACHINE_SESSION = "StepFunctions-execution"
_LOGGER = logging.getLogger("localcloud.sns")
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
        self._clients: moto_seams.ReplacedClients | None = None
        self._clients_by_credentials = ClientsByCredentials(self._new_client)
        self._state_credentials: moto_seams.Replaced | None = None

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
        return self._clients_by_credentials.client(service, region, credentials)

    def _new_client(self, service: str, region: str, credentials: Credentials) -> Any:
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
        """Every task's clients come from here, and every task's credentials name its state machine
        (the seams ``STEP_FUNCTIONS_CLIENTS`` and ``STATE_TASK_CREDENTIALS``)."""

        def with_state_machine(task: Any, env: Environment) -> StateCredentials:
            computed = state_credentials.original(task, env)
            state_machine = env.states.context_object.context_object_data["StateMachine"]["Id"]
            return _SourcedStateCredentials(computed.role_arn, state_machine)

        state_credentials = self._state_credentials = moto_seams.STATE_TASK_CREDENTIALS.replace(
            with_state_machine
        )
        self._clients = moto_seams.replace_step_functions_clients(self.client_for)

    def uninstall(self) -> None:
        if self._clients is not None:
            self._clients.restore()
            self._clients = None
        if self._state_credentials is not None:
            self._state_credentials.restore()
            self._state_credentials = None


@dataclass(frozen=True)
class DeliveryFailure:
    """Why SNS could not deliver to a queue: the error SQS answered with."""

    code: str
    message: str


def failure_of(error: ServiceException | _RESTError) -> DeliveryFailure:
    """An error moto's SQS raised, as the error SQS answers with."""
    if isinstance(error, ServiceException):
        return DeliveryFailure(error.code, error.message)
    return DeliveryFailure(error.error_type, error.message)


class SnsToSqsDelivery:
    """Replaces ``Subscription.publish`` for SQS subscriptions (seam ``SUBSCRIPTION_PUBLISH``).

    A notice the subscription's filter policy lets through is delivered only if the queue exists and
    its policy allows SNS to send for the topic. A delivery that fails - refused by the queue policy,
    queue missing, or any error SQS answers with, such as throttling - goes to the subscription's
    ``RedrivePolicy`` dead-letter queue, carrying what would have been delivered and the attributes
    SNS adds there (``RequestID``, ``ErrorCode``, ``ErrorMessage``); that queue's policy must allow
    SNS to send too, as in AWS. Without a dead-letter queue the notice is lost, as in AWS, and the
    local cloud says so at ERROR level and in :attr:`dropped`.

    AWS does not retry client-side errors (a refusing policy, a deleted queue) and retries
    server-side ones for a long time before using the dead-letter queue; the local cloud does not
    emulate retry timing: every failure goes to the dead-letter queue at once.
    """

    def __init__(self, *, account_id: str) -> None:
        self._account_id = account_id
        self._replaced: moto_seams.Replaced | None = None
        self.dropped: list[str] = []
        """Notices lost: failed deliveries with no dead-letter queue to take them, or refused by it."""
        self.redriven: list[str] = []
        """Failed deliveries moved to a subscription's dead-letter queue."""
        self._lock = threading.Lock()

    def allowed(self, topic_arn: str, queue_arn: str) -> bool:
        queue = self._queue(queue_arn)
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

    def _queue(self, queue_arn: str) -> Any:
        """The queue an ARN names; raises moto's ``QueueDoesNotExist`` if there is none."""
        region = queue_arn.split(":")[3]
        return sqs_backends[self._account_id][region].get_queue(queue_arn.rsplit(":", 1)[-1])

    def refusal(self, topic_arn: str, queue_arn: str) -> DeliveryFailure | None:
        """Why SQS would refuse SNS's SendMessage for this topic, or None if it accepts it."""
        try:
            if self.allowed(topic_arn, queue_arn):
                return None
        except (ServiceException, _RESTError) as error:
            return failure_of(error)
        return DeliveryFailure("AccessDenied", "Access to the resource https://sqs.amazonaws.com/ is denied.")

    def install(self) -> None:
        delivery = self

        def publish(
            subscription: Subscription,
            message: str,
            message_id: str,
            *,  # moto's Topic.publish names every other argument
            subject: str | None = None,
            message_attributes: dict[str, Any] | None = None,
            group_id: str | None = None,
            deduplication_id: str | None = None,
            message_structure: str | None = None,
        ) -> None:
            arguments: dict[str, Any] = {
                "subject": subject,
                "message_attributes": message_attributes,
                "group_id": group_id,
                "deduplication_id": deduplication_id,
                "message_structure": message_structure,
            }
            original = replaced.original
            if subscription.protocol != "sqs":
                original(subscription, message, message_id, **arguments)
                return
            matcher = moto_seams.filter_policy_matcher(subscription)
            if matcher is not None and not matcher.matches(message_attributes, message):
                return  # filtered out: not a delivery at all
            failure = delivery.refusal(subscription.topic.arn, subscription.endpoint)
            if failure is None:
                try:
                    original(subscription, message, message_id, **arguments)
                    return
                except (ServiceException, _RESTError) as error:  # throttling, or any error SQS answers
                    failure = failure_of(error)
            if message_structure == "json":
                message = moto_seams.structured_message(subscription, message)
            delivery.dead_letter(
                subscription, delivered_body(subscription, message, message_id, arguments), failure
            )

        replaced = self._replaced = moto_seams.SUBSCRIPTION_PUBLISH.replace(publish)

    def dead_letter(self, subscription: Subscription, body: str, failure: DeliveryFailure) -> None:
        """Put a failed delivery in the subscription's dead-letter queue, or say loudly it is lost."""
        route = f"{subscription.topic.arn} -> {subscription.endpoint}"
        target = dead_letter_target(subscription)
        if target is None:
            self._lost(f"{route}: {failure.code} ({failure.message}); the subscription has no RedrivePolicy")
            return
        refused = self.refusal(subscription.topic.arn, target)
        if refused is not None:
            self._lost(
                f"{route}: {failure.code}; its dead-letter queue {target} refused it too: {refused.code}"
            )
            return
        attributes = {
            "RequestID": str(uuid.uuid4()),
            "ErrorCode": failure.code,
            "ErrorMessage": failure.message,
        }
        region = target.split(":")[3]
        sqs_backends[self._account_id][region].send_message(
            target.rsplit(":", 1)[-1],
            body,
            message_attributes={
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
            },
        )
        with self._lock:
            self.redriven.append(f"{route}: {failure.code} -> {target}")

    def _lost(self, what: str) -> None:
        _LOGGER.error("SNS could not deliver a notice and it is lost: %s", what)
        with self._lock:
            self.dropped.append(what)

    def uninstall(self) -> None:
        if self._replaced is not None:
            self._replaced.restore()
            self._replaced = None


def dead_letter_target(subscription: Subscription) -> str | None:
    """The ``deadLetterTargetArn`` of a subscription's RedrivePolicy, if it has one."""
    policy = subscription.attributes.get("RedrivePolicy")
    if not policy:
        return None
    target = (json.loads(policy) if isinstance(policy, str) else policy).get("deadLetterTargetArn")
    return str(target) if target else None


def delivered_body(
    subscription: Subscription, message: str, message_id: str, arguments: dict[str, Any]
) -> str:
    """What SNS delivers to the queue: the message itself with raw delivery, else its envelope."""
    if subscription.attributes.get("RawMessageDelivery"):
        return message
    envelope = subscription.get_post_data(
        message, message_id, arguments["subject"], message_attributes=arguments["message_attributes"]
    )
    return json.dumps(envelope, sort_keys=True, indent=2, separators=(",", ": "))


def step_functions_timestamp(moment: datetime) -> str:
    """A time as Step Functions writes it in the context object: UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class ExecutionStartTimes:
    """Replaces ``Execution.get_start_execution_details`` (seam ``EXECUTION_START_DETAILS``), where the
    context object's ``Execution.StartTime`` comes from."""

    def __init__(self) -> None:
        self._replaced: moto_seams.Replaced | None = None

    def install(self) -> None:
        def details(execution: Execution) -> Any:
            found = replaced.original(execution)
            if isinstance(found.start_time, datetime):
                found.start_time = step_functions_timestamp(found.start_time)
            return found

        replaced = self._replaced = moto_seams.EXECUTION_START_DETAILS.replace(details)

    def uninstall(self) -> None:
        if self._replaced is not None:
            self._replaced.restore()
            self._replaced = None


class ParsedDefinitions:
    """Replaces ``AmazonStateLanguageParser.parse`` (seam ``DEFINITION_PARSE``): each state machine
    definition is parsed once per process, not at every execution's start; and the validation of a
    definition when its state machine is created (seam ``DEFINITION_VALIDATION``) is skipped for a text
    already parsed and built into components without an error.

    Parsing with ANTLR's Python runtime is most of what starting an execution costs moto. The syntax
    tree of a definition depends on its text alone and nothing changes it, so it is kept, keyed by the
    text; every call still builds new evaluation components from it, as moto does, so no execution
    shares state with another. A definition with syntax errors is parsed (and refused) every time."""

    _MOST_KEPT = 64
    """Definitions whose trees are kept at once; a test run creates a handful."""

    _trees: ClassVar[dict[str, Any]] = {}
    _trees_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._replaced: moto_seams.Replaced | None = None
        self._validation: moto_seams.Replaced | None = None

    def install(self) -> None:
        def parse(definition: str) -> tuple[Any, Any]:
            with self._trees_lock:
                tree = self._trees.get(definition)
            if tree is None:
                program, tree = replaced.original(definition)
                with self._trees_lock:
                    if len(self._trees) >= self._MOST_KEPT:
                        self._trees.clear()
                    self._trees[definition] = tree
                return program, tree
            return moto_seams.evaluation_program(tree), tree

        def validate(definition: str) -> None:
            # A kept tree's text was parsed and built into components without an error (only such
            # trees are kept): validating it again could only come to the same answer.
            with self._trees_lock:
                valid = definition in self._trees
            if not valid:
                validation.original(definition)

        replaced = self._replaced = moto_seams.DEFINITION_PARSE.replace(parse)
        validation = self._validation = moto_seams.DEFINITION_VALIDATION.replace(validate)

    def uninstall(self) -> None:
        if self._replaced is not None:
            self._replaced.restore()
            self._replaced = None
        if self._validation is not None:
            self._validation.restore()
            self._validation = None


class ReusedTaskClients:
    """Replaces moto's ``boto_client_for`` (seam ``STEP_FUNCTIONS_CLIENTS``) in an embedded moto: one
    client per region and service for the whole process, not a new one for every task an execution runs.

    Creating a client costs more than the call a task makes with it. moto's clients carry the same fixed
    fake credentials and settings for every task (``state_credentials`` is not used), and a client holds
    no AWS state, so they are moto's own clients, made once (once for a mock, once for a moto server).
    (The local cloud gives each task its state machine role's credentials instead:
    :class:`StepFunctionsCredentials`.)"""

    _clients: ClassVar[dict[tuple[str, str, bool], Any]] = {}
    _clients_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._replaced: moto_seams.ReplacedClients | None = None

    def install(self) -> None:
        def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            key = (region, service, moto_seams.moto_intercepts_clients())
            with self._clients_lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = replaced.original(region, service)
            return client

        replaced = self._replaced = moto_seams.replace_step_functions_clients(client_for)
        try:
            moto_seams.check_client_for_interception(replaced.original)
        except moto_seams.SeamChangedError:
            self.uninstall()
            raise

    def uninstall(self) -> None:
        if self._replaced is not None:
            self._replaced.restore()
            self._replaced = None
