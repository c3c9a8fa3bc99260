"""Every place the local cloud relies on moto's internals, named, checked and in one module.

The local cloud runs moto in its own process and changes some of what moto does: it replaces methods
on moto's classes at run time and reads a few attributes moto keeps private. moto does not promise to
keep any of them, so each one is a *seam* here: a named object saying what moto object it replaces or
reads, why, and the moto version it was checked against (:data:`MOTO_CHECKED`). The rest of the local
cloud reaches moto's internals only through this module; moto's public API (``mock_aws``, the server,
the backends dictionaries, their documented methods) is used directly where it is needed.

Every replacement checks, before installing, that the method still takes the parameters and still
contains the lines its seam relies on, and raises :class:`SeamChangedError` naming the seam otherwise:
a moto upgrade must be looked at, not patched over blindly. ``tools/tests/localcloud/test_moto_seams.py``
tests each seam's assumptions, behaviour included; tools/README.md ("Upgrading moto") says how to use
it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import ModuleType, SimpleNamespace
from typing import Any, ClassVar

import moto.stepfunctions.parser as stepfunctions_parser
from joserfc import jwk
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.cognitoidp import models as cognitoidp_models
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.base_backend import BackendDict
from moto.core.config import default_user_config
from moto.core.models import botocore_stubber
from moto.core.responses import BaseResponse
from moto.dynamodb.responses import DynamoHandler
from moto.iam import models as iam_models
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, IAMBackend
from moto.moto_api._internal.models import moto_api_backend
from moto.settings import load_iam_aws_managed_policies
from moto.sns.models import Subscription
from moto.sqs.models import Queue
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.retry.retrier_decl import RetrierDecl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

MOTO_CHECKED = "5.2.5"
"""The moto version every seam was last checked against (pinned in requirements/dev.txt)."""


class SeamChangedError(RuntimeError):
    """moto no longer has what a seam relies on: the message names the seam and what changed."""

    def __init__(self, seam: str, problem: str) -> None:
        super().__init__(
            f"moto seam {seam!r}: {problem} (checked against moto {MOTO_CHECKED}; review "
            "localcloud/moto_seams.py, see tools/README.md 'Upgrading moto')"
        )
        self.seam = seam


@dataclass(frozen=True)
class SourceAssumption:
    """A line a seam relies on moto's ``owner.attribute`` running (found in its source, looked up when
    checked: a property's setter, a classmethod's function)."""

    owner: Any
    attribute: str
    text: str

    def function(self) -> Any:
        found = inspect.getattr_static(self.owner, self.attribute, None)
        if isinstance(found, property):
            return found.fset
        if isinstance(found, classmethod | staticmethod):
            return found.__func__
        return found


@dataclass(frozen=True)
class MethodSeam:
    """A method of a moto class the local cloud replaces.

    name: the seam's name, as errors and tests say it.
    owner, attribute: where the method is (``owner.attribute``).
    parameters: the method's parameters in the checked moto; the replacement takes the same.
    relies_on: lines of moto's source the replacement's reasoning depends on.
    """

    name: str
    owner: type
    attribute: str
    parameters: tuple[str, ...]
    relies_on: tuple[SourceAssumption, ...] = ()

    def check(self) -> None:
        """Raise :class:`SeamChangedError` unless moto still has the method this seam was written for."""
        method = getattr(self.owner, self.attribute, None)
        if not callable(method):
            raise SeamChangedError(self.name, f"{self.owner.__name__}.{self.attribute} no longer exists")
        found = tuple(inspect.signature(method).parameters)
        if found != self.parameters:
            where = f"{self.owner.__name__}.{self.attribute}"
            raise SeamChangedError(self.name, f"{where} takes {list(found)}, not {list(self.parameters)}")
        for assumption in self.relies_on:
            check_source(self.name, assumption)

    def replace(self, replacement: Callable[..., Any]) -> Replaced:
        """Install ``replacement`` (after :meth:`check`); the handle restores moto's method. A static
        method stays one."""
        self.check()
        original = inspect.getattr_static(self.owner, self.attribute)
        static = isinstance(original, staticmethod)
        setattr(self.owner, self.attribute, staticmethod(replacement) if static else replacement)
        return Replaced(self, original)

    @contextmanager
    def replaced_by(self, replacement: Callable[..., Any]) -> Iterator[Replaced]:
        """:meth:`replace` for the duration of a ``with`` block."""
        replaced = self.replace(replacement)
        try:
            yield replaced
        finally:
            replaced.restore()


class Replaced:
    """A replaced moto method: ``original`` is moto's, :meth:`restore` puts it back (once)."""

    def __init__(self, seam: MethodSeam, original: Callable[..., Any]) -> None:
        self.seam = seam
        self.original = original
        self._restored = False

    def restore(self) -> None:
        if not self._restored:
            setattr(self.seam.owner, self.seam.attribute, self.original)
            self._restored = True


@cache
def _source_of(function: Any) -> str | None:
    """A function's source, read once per process (each test's seams check the same lines)."""
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return None


def check_source(seam: str, assumption: SourceAssumption) -> None:
    where = f"{getattr(assumption.owner, '__name__', assumption.owner)}.{assumption.attribute}"
    function = assumption.function()
    if function is None:
        raise SeamChangedError(seam, f"{where} no longer exists")
    source = _source_of(function)
    if source is None:
        raise SeamChangedError(seam, f"the source of {where} is not available to check")
    if assumption.text not in source:
        raise SeamChangedError(seam, f"{where} no longer runs `{assumption.text}`")


# ---------------------------------------------------------------------------------------- replaced methods

REQUEST_AUTHORIZATION = MethodSeam(
    "request authorization",
    ActionAuthenticatorMixin,
    "_authenticate_and_authorize_normal_action",
    ("self", "resource"),
    (
        SourceAssumption(
            BaseResponse, "call_action", "self._authenticate_and_authorize_normal_action(resource)"
        ),
    ),
)
"""moto's authorisation hook, which every ``BaseResponse.call_action`` runs before the operation's
handler: replaced by :class:`localcloud.enforcement.Enforcement`, which authorises what moto will run."""

USER_POOL_SIGNING_KEY = MethodSeam(
    "user pool signing key",
    CognitoIdpUserPool,
    "__init__",
    ("self", "account_id", "region", "name", "extended_config"),
    (
        SourceAssumption(CognitoIdpUserPool, "__init__", "self.json_web_key = "),
        SourceAssumption(CognitoIdpUserPool, "create_jwt", "jwt.encode(headers, payload, self.json_web_key)"),
        SourceAssumption(CognitoIdpUserPool, "create_jwt", '"kid": "dummy"'),
    ),
)
"""``CognitoIdpUserPool.__init__`` loads the RSA key that ships in moto's package (anyone can sign
tokens with it) into ``json_web_key``, which ``create_jwt`` signs with under the kid ``dummy``: the
local cloud gives each pool a key of its own after moto's ``__init__``."""

USER_POOL_TOKEN_KID = "dummy"  # noqa: S105 - a key id, not a secret
"""The kid ``CognitoIdpUserPool.create_jwt`` writes into every token header (checked above)."""

INITIATE_AUTH = MethodSeam(
    "Cognito sign-in",
    CognitoIdpBackend,
    "initiate_auth",
    ("self", "client_id", "auth_flow", "auth_parameters"),
)
"""``CognitoIdpBackend.initiate_auth`` signs in through any flow whatever the app client allows: the
local cloud checks the client's ExplicitAuthFlows and user existence errors first."""

FUNCTION_INVOKE = MethodSeam(
    "Lambda invoke",
    LambdaFunction,
    "invoke",
    ("self", "body", "request_headers", "response_headers"),
    (SourceAssumption(LambdaBackend, "invoke", "fn.invoke(body, headers, response_headers)"),),
)
"""``LambdaFunction.invoke`` runs function code only in Docker: the local cloud runs it in worker
processes under the function's role (:mod:`localcloud.lambda_service`)."""

FUNCTION_CODE_RUN = MethodSeam(
    "Lambda code run",
    LambdaFunction,
    "_invoke_lambda",
    ("self", "event"),
    (SourceAssumption(LambdaFunction, "invoke", "self._invoke_lambda(event=body)"),),
)
"""``LambdaFunction._invoke_lambda``, where moto starts the Docker container that runs a function's
code and answers ``(payload, errored, logs)``: the application's in-process tests run the handler there
instead (tests/support/inprocess.py). The local cloud replaces the whole ``invoke`` instead."""

EVENT_SOURCE_MAPPING_CREATION = MethodSeam(
    "event source mapping creation",
    LambdaBackend,
    "create_event_source_mapping",
    ("self", "spec"),
    (
        SourceAssumption(
            LambdaBackend,
            "create_event_source_mapping",
            "queue.lambda_event_source_mappings[esm.function_arn] = esm",
        ),
    ),
)
"""``LambdaBackend.create_event_source_mapping`` attaches an SQS mapping to the queue, and moto's
``send_message`` then invokes the function synchronously, outside any role: the local cloud detaches
it (:func:`detach_queue_mapping`) and polls the queue as Lambda does (:mod:`localcloud.event_sources`)."""

QUEUE_SET_ATTRIBUTES = MethodSeam(
    "SQS queue attributes",
    Queue,
    "_set_attributes",
    ("self", "attributes", "now"),
    (
        SourceAssumption(Queue, "_set_attributes", 'self.policy = attributes.get("Policy")'),
        SourceAssumption(Queue, "policy", "self._policy_json = "),
    ),
)
"""``Queue._set_attributes`` ends with ``self.policy = attributes.get("Policy")``, clearing the queue's
policy on any SetQueueAttributes that does not name it: :mod:`localcloud.queue_attributes` keeps it."""

SUBSCRIPTION_PUBLISH = MethodSeam(
    "SNS delivery",
    Subscription,
    "publish",
    (
        "self",
        "message",
        "message_id",
        "subject",
        "message_attributes",
        "group_id",
        "deduplication_id",
        "message_structure",
    ),
    (
        SourceAssumption(Subscription, "publish", "self._filter_policy_matcher"),
        SourceAssumption(Subscription, "publish", "self._parse_message_structure("),
    ),
)
"""``Subscription.publish`` delivers to SQS whatever the queue's policy says and drops failures:
:class:`localcloud.service_integrations.SnsToSqsDelivery` authorises and dead-letters deliveries."""

STATE_TASK_CREDENTIALS = MethodSeam(
    "Step Functions task credentials",
    StateTask,
    "_eval_state_credentials",
    ("self", "env"),
)
"""``StateTask._eval_state_credentials`` computes a task's credentials (the role): the local cloud adds
the state machine whose execution runs the task, Step Functions' ``aws:SourceArn``."""

EXECUTION_START_DETAILS = MethodSeam(
    "Step Functions execution start time",
    Execution,
    "get_start_execution_details",
    ("self",),
)
"""``Execution.get_start_execution_details`` gives the context object's ``Execution.StartTime`` as a
``datetime``: the local cloud gives Step Functions' ISO 8601 text."""

DYNAMODB_REQUEST = MethodSeam(
    "DynamoDB request",
    DynamoHandler,
    "call_action",
    ("self",),
    (SourceAssumption(DynamoHandler, "call_action", "return super().call_action()"),),
)
"""``DynamoHandler.call_action`` runs one DynamoDB request on the backend, with no lock: moto's
conditional writes read, check and write in separate steps, so two requests at once can both pass a
condition only one of them may (two bookings taking the last seat). DynamoDB applies each item write,
and each transaction, atomically: :mod:`localcloud.dynamodb_requests` runs them one at a time."""

AWS_MANAGED_POLICIES = MethodSeam(
    "AWS managed policies",
    IAMBackend,
    "_init_aws_policies",
    ("self",),
    (
        SourceAssumption(IAMBackend, "__init__", "self.aws_managed_policies = self._init_aws_policies()"),
        SourceAssumption(iam_models, "get_account_id_from", "for partition in PARTITION_NAMES:"),
        SourceAssumption(IAMBackend, "_init_aws_policies", "if not load_iam_aws_managed_policies():"),
        SourceAssumption(
            IAMBackend,
            "_init_aws_policies",
            "AWSManagedPolicy.from_data(name, self.account_id, self.region_name, d)",
        ),
        *(
            SourceAssumption(AWSManagedPolicy, "from_data", line)
            for line in (
                'default_version_id=data.get("DefaultVersionId")',
                'path=data.get("Path")',
                'document=json.dumps(data.get("Document"))',
                'create_date=datetime.fromisoformat(data["CreateDate"])',
                'update_date=datetime.fromisoformat(data["UpdateDate"])',
            )
        ),
    ),
)
"""``IAMBackend._init_aws_policies`` gives each new IAM backend every AWS managed policy (about 1,500,
when configured), and moto's access key lookup creates one backend per partition. The local cloud's
account is in one partition: :class:`LocalCloudSettings` gives the others none (their ARNs are named
nowhere in the stack, and an attachment of one is refused as in an account without it). The in-process
tests' backends get only the policies their template names (:func:`aws_managed_policies_only_in`),
built as ``_init_aws_policies`` builds each one (checked), with the document's text made once per
process: serializing 1,500 documents again was a tenth of each later local cloud's start."""

DEFINITION_PARSE = MethodSeam(
    "Step Functions definition parsing",
    AmazonStateLanguageParser,
    "parse",
    ("definition",),
    (
        SourceAssumption(AmazonStateLanguageParser, "parse", "tree = parser.state_machine()"),
        SourceAssumption(AmazonStateLanguageParser, "parse", "preprocessor = Preprocessor()"),
        SourceAssumption(AmazonStateLanguageParser, "parse", "program = preprocessor.visit(tree)"),
        SourceAssumption(AmazonStateLanguageParser, "parse", "return program, tree"),
        SourceAssumption(ExecutionWorker, "_get_evaluation_entrypoint", "AmazonStateLanguageParser.parse("),
    ),
)
"""``AmazonStateLanguageParser.parse`` parses a state machine's definition with ANTLR's Python runtime
into a syntax tree, then builds the components an execution evaluates from the tree. moto calls it at
every execution's start and three times when a state machine is created:
:class:`localcloud.service_integrations.ParsedDefinitions` keeps each definition's tree and builds new
components from it (:func:`evaluation_program`) at each call."""

DEFINITION_VALIDATION = MethodSeam(
    "Step Functions definition validation",
    StepFunctionsParserBackend,
    "_validate_definition",
    ("definition",),
    (
        SourceAssumption(
            StepFunctionsParserBackend, "_validate_definition", "AmazonStateLanguageParser.parse(definition)"
        ),
        SourceAssumption(
            StepFunctionsParserBackend,
            "create_state_machine",
            "StepFunctionsParserBackend._validate_definition(definition=definition)",
        ),
        SourceAssumption(
            StepFunctionsParserBackend,
            "update_state_machine",
            "self._validate_definition(definition=definition)",
        ),
    ),
)
"""``StepFunctionsParserBackend._validate_definition`` refuses a definition that
``AmazonStateLanguageParser.parse`` (:data:`DEFINITION_PARSE`) cannot parse and build components from,
and keeps nothing: moto calls it when a state machine is created or updated."""


METHOD_SEAMS = (
    REQUEST_AUTHORIZATION,
    USER_POOL_SIGNING_KEY,
    INITIATE_AUTH,
    FUNCTION_INVOKE,
    FUNCTION_CODE_RUN,
    EVENT_SOURCE_MAPPING_CREATION,
    QUEUE_SET_ATTRIBUTES,
    SUBSCRIPTION_PUBLISH,
    STATE_TASK_CREDENTIALS,
    EXECUTION_START_DETAILS,
    DYNAMODB_REQUEST,
    AWS_MANAGED_POLICIES,
    DEFINITION_PARSE,
    DEFINITION_VALIDATION,
)

# ---------------------------------------------------------------------------------- replaced functions

STEP_FUNCTIONS_CLIENTS = "Step Functions service clients"
_BOTO_CLIENT_FOR_PARAMETERS = ("region", "service", "state_credentials")


def step_functions_client_modules() -> Iterator[ModuleType]:
    """The interpreter modules that imported ``boto_client_for`` by name (moto's interpreter calls
    Lambda, DynamoDB and SQS with fixed fake credentials through it)."""
    yield from _modules_importing_boto_client_for()


@cache
def _modules_importing_boto_client_for() -> tuple[ModuleType, ...]:
    """Found once per process: walking moto's interpreter package costs more than a test's mock."""
    package = stepfunctions_parser.__name__ + "."
    found = []
    for module_info in pkgutil.walk_packages(stepfunctions_parser.__path__, package):
        try:
            module = importlib.import_module(module_info.name)
        except ImportError:
            continue  # a few modules (usage analytics) do not import in moto; moto never uses them
        if hasattr(module, "boto_client_for"):
            found.append(module)
    return tuple(found)


def check_step_functions_clients() -> list[ModuleType]:
    """The modules to rebind, after checking ``boto_client_for`` still takes what the replacement does
    and that the task modules (Lambda, DynamoDB, SQS...) still call it."""
    modules = list(step_functions_client_modules())
    names = {module.__name__.rsplit(".", 1)[-1] for module in modules}
    for needed in ("lambda_eval_utils", "state_task_service_dynamodb", "state_task_service_sqs"):
        if needed not in names:
            raise SeamChangedError(STEP_FUNCTIONS_CLIENTS, f"moto's {needed} no longer calls boto_client_for")
    for module in modules:
        found = tuple(inspect.signature(module.boto_client_for).parameters)
        if found != _BOTO_CLIENT_FOR_PARAMETERS:
            expected = list(_BOTO_CLIENT_FOR_PARAMETERS)
            problem = f"{module.__name__}.boto_client_for takes {list(found)}, not {expected}"
            raise SeamChangedError(STEP_FUNCTIONS_CLIENTS, problem)
    return modules


class ReplacedClients:
    """``boto_client_for`` rebound in every interpreter module; :meth:`restore` puts moto's back."""

    def __init__(self, client_for: Callable[..., Any]) -> None:
        self._originals: list[tuple[ModuleType, Any]] = []
        for module in check_step_functions_clients():
            self._originals.append((module, module.boto_client_for))
            module.boto_client_for = client_for  # type: ignore[attr-defined]

    @property
    def original(self) -> Callable[..., Any]:
        """moto's ``boto_client_for`` (every module imported the same function)."""
        return self._originals[0][1]  # type: ignore[no-any-return]

    def restore(self) -> None:
        for module, original in self._originals:
            module.boto_client_for = original  # type: ignore[attr-defined]
        self._originals.clear()


def replace_step_functions_clients(client_for: Callable[..., Any]) -> ReplacedClients:
    return ReplacedClients(client_for)


_CLIENT_FOR_INTERCEPTION = "intercepting_boto_calls = botocore_stubber.enabled"


def check_client_for_interception(client_for: Callable[..., Any]) -> None:
    """moto's ``boto_client_for`` still makes a client for the active mock, or for a moto server when no
    mock is active (:func:`moto_intercepts_clients` tells which it would make)."""
    if _CLIENT_FOR_INTERCEPTION not in (_source_of(client_for) or ""):
        raise SeamChangedError(
            STEP_FUNCTIONS_CLIENTS, f"boto_client_for no longer runs `{_CLIENT_FOR_INTERCEPTION}`"
        )


def moto_intercepts_clients() -> bool:
    """Whether a mock is active, as moto's ``boto_client_for`` decides it."""
    return bool(botocore_stubber.enabled)


# ------------------------------------------------------------------------------------------ private reads

OPERATION_OF_REQUEST = MethodSeam(
    "operation of a request",
    BaseResponse,
    "_get_action",
    ("self",),
    (SourceAssumption(BaseResponse, "call_action", "action = camelcase_to_underscores(self._get_action())"),),
)
"""``BaseResponse._get_action``: the operation ``call_action`` will run, which enforcement authorises."""


def operation_of(response: Any) -> str:
    """The operation moto's handler will run for this request, as ``call_action`` reads it."""
    return str(response._get_action())


def evaluation_program(tree: Any) -> Any:
    """The components an execution evaluates, new ones, built from a definition's syntax tree as
    ``AmazonStateLanguageParser.parse`` builds them (:data:`DEFINITION_PARSE`)."""
    return Preprocessor().visit(tree)


def filter_policy_matcher(subscription: Subscription) -> Any:
    """The subscription's filter policy matcher (``matches(attributes, message)``), or None."""
    return subscription._filter_policy_matcher


def structured_message(subscription: Subscription, message: str) -> str:
    """The message a ``MessageStructure=json`` publish delivers to the subscription's protocol."""
    return str(subscription._parse_message_structure(message, subscription.protocol))


def queue_policy_set(queue: Queue) -> bool:
    """Whether the queue's policy has been set once (a queue being created has none yet: its first
    ``_set_attributes`` sets ``_policy_json``)."""
    return hasattr(queue, "_policy_json")


def detach_queue_mapping(queue: Queue, function_arn: str) -> None:
    """Stop moto invoking ``function_arn`` itself when a message is sent to ``queue``."""
    queue.lambda_event_source_mappings.pop(function_arn, None)


DISPATCH_FUNCTION = "dispatch of every service"


def dispatch_function() -> Callable[..., Any]:
    """``BaseResponse.dispatch`` (a classmethod): the function every service's bound dispatch shares,
    and the route handlers that run the authorisation hook."""
    dispatch = inspect.getattr_static(BaseResponse, "dispatch", None)
    if not isinstance(dispatch, classmethod):
        raise SeamChangedError(DISPATCH_FUNCTION, "BaseResponse.dispatch is no longer a classmethod")
    check_source(DISPATCH_FUNCTION, SourceAssumption(BaseResponse, "dispatch", "._dispatch("))
    check_source(DISPATCH_FUNCTION, SourceAssumption(BaseResponse, "_dispatch", "return self.call_action()"))
    return dispatch.__func__


# ------------------------------------------------------------------------------------- moto's own state

MOTO_SETTINGS = "moto settings"
_SETTINGS: dict[str, dict[str, bool]] = {
    # AWS managed policies (AWSLambdaBasicExecutionRole...) with their real documents.
    "iam": {"load_aws_managed_policies": True},
    # Step Functions that executes its state machines.
    "stepfunctions": {"execute_state_machine": True},
}


MOTO_RESET = "moto reset"
_RESET_DROPS_BACKENDS = SourceAssumption(BackendDict, "reset", "backend.clear()")


def reset_moto() -> None:
    """Forget every resource in every moto backend of this process (``moto_api_backend.reset``).

    moto resets each backend in use and then drops it (checked): the next request creates a new one,
    as configured then. The reset IAM backends are thrown away, so they are reset without AWS managed
    policies - loading them, about 1,500 in each of the six partitions moto's access key lookup
    creates, is most of what a reset would cost otherwise."""
    check_source(MOTO_RESET, _RESET_DROPS_BACKENDS)
    saved = default_user_config["iam"]
    default_user_config["iam"] = {**saved, "load_aws_managed_policies": False}
    try:
        moto_api_backend.reset()
    finally:
        default_user_config["iam"] = saved


@cache
def _aws_managed_policies_data() -> dict[str, Any]:
    """moto's AWS managed policies by name, parsed once per process (read only)."""
    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return parsed


@cache
def _aws_managed_policy_document(name: str) -> str:
    """A managed policy's document as the text moto keeps (``json.dumps`` of its data's Document)."""
    return json.dumps(_aws_managed_policies_data()[name].get("Document"))


def _aws_managed_policy(name: str, account_id: str, region: str) -> AWSManagedPolicy:
    """The policy ``AWSManagedPolicy.from_data`` builds (the seam checks its arguments), with the
    document's text made once per process. A ``KeyError`` for a name moto does not know."""
    data = _aws_managed_policies_data()[name]
    return AWSManagedPolicy(  # type: ignore[abstract]  # as from_data makes it
        name,
        account_id=account_id,
        region=region,
        default_version_id=data.get("DefaultVersionId"),
        path=data.get("Path"),
        document=_aws_managed_policy_document(name),
        create_date=datetime.fromisoformat(data["CreateDate"]),
        update_date=datetime.fromisoformat(data["UpdateDate"]),
    )


def aws_managed_policies_only_in(partition: str, names: Collection[str] | None = None) -> Replaced:
    """New IAM backends get AWS managed policies (when moto is configured to load them) in
    ``partition`` only (:data:`AWS_MANAGED_POLICIES`), and of those only ``names`` when given (a name
    moto does not know is a ``KeyError``); the handle restores moto's loading.

    Building each of moto's 1,500 policies is most of what a new IAM backend costs: an account that
    holds only the policies its stack attaches answers that stack as one holding them all does, and
    refuses an attachment of any other."""
    wanted = None if names is None else sorted(set(names))

    def managed_policies_of_one_partition(backend: IAMBackend) -> list[Any]:
        if backend.partition != partition or not load_iam_aws_managed_policies():
            return []
        data = _aws_managed_policies_data()
        return [
            _aws_managed_policy(name, backend.account_id, backend.region_name)
            for name in (data if wanted is None else wanted)
        ]

    return AWS_MANAGED_POLICIES.replace(managed_policies_of_one_partition)


RETRY_WAIT = "Step Functions retry wait"
_RETRY_WAIT_LINE = SourceAssumption(RetrierDecl, "_eval_body", "time.sleep(interval_seconds)")


class RecordedRetryWaits:
    """Step Functions' retriers record each wait (seconds, in order, in :attr:`intervals`) instead of
    sleeping it; :meth:`restore` puts moto's sleeping back.

    ``RetrierDecl._eval_body`` computes a retry's interval (backoff and cap applied) and sleeps it
    with ``time.sleep`` (checked) before the retry: the retry, its order and its count are unchanged,
    only the clock time spent waiting is gone."""

    def __init__(self) -> None:
        check_source(RETRY_WAIT, _RETRY_WAIT_LINE)
        if getattr(retrier_decl, "time", None) is not time:
            raise SeamChangedError(RETRY_WAIT, "retrier_decl no longer imports the time module as `time`")
        self.intervals: list[float] = []
        setattr(retrier_decl, "time", SimpleNamespace(sleep=self.intervals.append))  # noqa: B010 - not exported
        self._restored = False

    def restore(self) -> None:
        if not self._restored:
            setattr(retrier_decl, "time", time)  # noqa: B010 - not exported
            self._restored = True


USER_POOL_KEY_IMPORT = "user pool key import"
_USER_POOL_KEY_LINE = SourceAssumption(
    CognitoIdpUserPool, "__init__", "self.json_web_key = jwk.RSAKey.import_key(jwks_file)"
)


class ImportedUserPoolKeys:
    """Each key moto's ``CognitoIdpUserPool.__init__`` imports (the one moto ships, checked) is imported
    once per process and given to every pool after; :meth:`restore` puts moto's importing back.

    Importing the RSA key (checking it, recovering its primes) is most of what creating a pool costs
    moto. The key's text is the same for every pool and the imported key is not changed by signing with
    it, so the pools get the same key they would have got. (The local cloud replaces each pool's key with
    one of its own: :data:`USER_POOL_SIGNING_KEY`.)"""

    _imported: ClassVar[dict[str, Any]] = {}
    _imported_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        check_source(USER_POOL_KEY_IMPORT, _USER_POOL_KEY_LINE)
        if getattr(cognitoidp_models, "jwk", None) is not jwk:
            raise SeamChangedError(
                USER_POOL_KEY_IMPORT, "moto's cognitoidp models no longer import joserfc's jwk"
            )

        def import_key(data: Any) -> Any:
            text = json.dumps(data, sort_keys=True)
            with self._imported_lock:
                key = self._imported.get(text)
                if key is None:
                    key = self._imported[text] = jwk.RSAKey.import_key(data)
            return key

        setattr(cognitoidp_models, "jwk", SimpleNamespace(RSAKey=SimpleNamespace(import_key=import_key)))  # noqa: B010 - not exported
        self._restored = False

    def restore(self) -> None:
        if not self._restored:
            setattr(cognitoidp_models, "jwk", jwk)  # noqa: B010 - not exported
            self._restored = True


class LocalCloudSettings:
    """moto's process-wide ``default_user_config`` set as the local cloud needs it, and AWS managed
    policies only in ``partition`` (:data:`AWS_MANAGED_POLICIES`); :meth:`restore` puts back what was
    there."""

    def __init__(self, partition: str = "aws") -> None:
        for key in _SETTINGS:
            if key not in default_user_config:
                raise SeamChangedError(MOTO_SETTINGS, f"moto's default_user_config has no {key!r}")
        self._saved = {key: default_user_config.get(key) for key in _SETTINGS}
        for key, value in _SETTINGS.items():
            default_user_config[key] = value  # type: ignore[literal-required]
        self._managed_policies: Replaced | None = aws_managed_policies_only_in(partition)

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is not None:
                default_user_config[key] = value  # type: ignore[literal-required]
        self._saved = {}
        if self._managed_policies is not None:
            self._managed_policies.restore()
            self._managed_policies = None
