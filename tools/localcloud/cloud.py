"""The local cloud: the stack of ``template.yaml`` running on this machine, IAM enforced everywhere.

    with LocalCloud().start() as cloud:
        cloud.endpoints.aws          # use with boto3 / `aws --endpoint-url`
        cloud.endpoints.graphql      # the GraphQL API (Cognito tokens from cloud.create_customer)
        cloud.endpoints.loyalty_api  # the loyalty REST API (SigV4, AppSync's role only)

One process holds it all: an AWS endpoint (moto in server mode on 127.0.0.1, its authorisation
replaced by :mod:`localcloud.enforcement`), the functions' worker processes, the event source mapping
pollers, a local API Gateway and a local AppSync. ``stop()`` (or leaving the ``with`` block) ends all
of them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

from iam_eval import AccessRequest, Principal, evaluate
from localcloud import moto_seams
from localcloud.alarms import AlarmEvaluator
from localcloud.apigateway import LocalRestApi, RestApiDefinition, Stage
from localcloud.appsync.auth import JwksEndpoint
from localcloud.appsync.datasources import aws_endpoint_router
from localcloud.appsync.resolver_runtime import NodeNotFoundError
from localcloud.appsync.server import AppSyncServer
from localcloud.appsync.template import definition_from_template
from localcloud.appsync.waf import WebAcl
from localcloud.deploy import DeployedStack, Deployer
from localcloud.dynamodb_requests import DynamoDBRequestsSerialised
from localcloud.enforcement import Enforcement, function_policy, served_backends
from localcloud.event_sources import SqsEventSources
from localcloud.faults import FaultPlan
from localcloud.front_door import FrontDoor
from localcloud.identity import Credentials, MotoIdentityDirectory
from localcloud.lambda_service import InvocationResult, LambdaRuntime
from localcloud.queue_attributes import QueueAttributesKept
from localcloud.service_integrations import (
    ExecutionStartTimes,
    ParsedDefinitions,
    SnsToSqsDelivery,
    StepFunctionsCredentials,
)
from localcloud.serving import BackgroundServer, PortInUseError
from localcloud.sessions import ClientsByCredentials, client_of, session_of
from stacktools.project import ACCOUNT_ID, LOCAL_STACK_NAME, REGION
from stacktools.template import REPOSITORY_ROOT, load_template
from stacktools.translate import translate

STACK_NAME = LOCAL_STACK_NAME
ADMIN_USER = "localcloud-admin"


class LocalCloudError(RuntimeError):
    """The local cloud cannot start; the message says what to do."""


@dataclass(frozen=True)
class Endpoints:
    aws: str
    graphql: str | None = None
    loyalty_api: str | None = None


@dataclass(frozen=True)
class Customer:
    email: str
    password: str
    sub: str
    """The customer's id: their Cognito ``sub``."""
    id_token: str


class _AwsEndpoint:
    """moto's server application behind the front door, on 127.0.0.1, in a thread of this process."""

    _dispatcher: ClassVar[DomainDispatcherApplication | None] = None
    _dispatcher_lock: ClassVar[threading.Lock] = threading.Lock()
    _previous_port: ClassVar[int | None] = None

    def __init__(self, port: int, enforcement: Enforcement) -> None:
        front_door = FrontDoor(self._moto_dispatcher(), served_backends(), enforcement.user_pool_jwks)
        self._server = self._started(front_door, port)
        _AwsEndpoint._previous_port = self._server.port
        self.url = self._server.url

    @classmethod
    def _moto_dispatcher(cls) -> DomainDispatcherApplication:
        """One moto dispatcher per process. It builds a Flask application per service at the service's
        first request (a fifth of what starting a cloud cost); those hold routes to moto's response
        classes only, which find the current backends at every request, so every cloud can share them."""
        with cls._dispatcher_lock:
            if cls._dispatcher is None:
                cls._dispatcher = DomainDispatcherApplication(create_backend_app)
            return cls._dispatcher

    @classmethod
    def _started(cls, front_door: FrontDoor, port: int) -> BackgroundServer:
        """Serving on ``port``; for port 0, on the port the previous endpoint of this process had if it
        is free, else on any free port. A state machine's definition names its queues by URL, with the
        endpoint's port: on the same port a new cloud's definition is the same text, which this process
        has parsed already (:class:`ParsedDefinitions`) - parsing it is a third of a start otherwise."""
        if port == 0 and cls._previous_port is not None:
            with contextlib.suppress(PortInUseError):
                return cls._serving(front_door, cls._previous_port)
        try:
            return cls._serving(front_door, port)
        except PortInUseError as error:
            raise LocalCloudError(f"{error}: choose another port for the local AWS endpoint") from None

    @staticmethod
    def _serving(front_door: FrontDoor, port: int) -> BackgroundServer:
        return BackgroundServer(
            front_door, port=port, request_handler=MotoRequestHandler, name="aws-endpoint"
        ).start()

    def stop(self) -> None:
        self._server.stop()


class LocalCloud:
    def __init__(
        self,
        *,
        template_path: Path = REPOSITORY_ROOT / "template.yaml",
        build_directory: Path = REPOSITORY_ROOT / ".aws-sam" / "build",
        parameters: Mapping[str, str] | None = None,
        aws_port: int = 0,
        api_port: int = 0,
        graphql_port: int = 0,
        stack_name: str = STACK_NAME,
        alarm_interval_seconds: float | None = None,
        prewarmed_imports: Sequence[str] = (),
    ) -> None:
        """``alarm_interval_seconds``: evaluate the alarms that often in the background; without it,
        they are evaluated only when :attr:`alarms` ``.evaluate_now()`` is called.

        ``prewarmed_imports``: fork the functions' workers from a process that has imported these modules
        (see :class:`~localcloud.lambda_service.LambdaRuntime`); without them every worker starts cold,
        and its REPORT figures are a cold start's."""
        self._api_port = api_port
        self._graphql_port = graphql_port
        self.rest_apis: dict[str, LocalRestApi] = {}
        self.rest_api_urls: dict[str, str] = {}
        """API id -> base URL of the local server for it (what AppSync's HTTP data sources call)."""
        self.api_access_log: list[str] = []
        self.graphql_apis: dict[str, AppSyncServer] = {}
        """GraphQL API logical id -> its local AppSync server (``listeners`` receive its decisions)."""
        self._template_path = template_path
        self._build_directory = build_directory
        self._parameters = dict(parameters or {})
        self._aws_port = aws_port
        self._stack_name = stack_name
        self.directory = MotoIdentityDirectory(ACCOUNT_ID, REGION)
        self.enforcement = Enforcement(self.directory, account_id=ACCOUNT_ID, region=REGION)
        self._code_directories: dict[str, Path] = {}
        self._endpoint: _AwsEndpoint | None = None
        self.lambdas = LambdaRuntime(
            self.directory,
            account_id=ACCOUNT_ID,
            region=REGION,
            endpoint_url=self._aws_url,
            code_directories=self._code_directories,
            # No X-Ray daemon runs locally; Powertools would warn on every trace it cannot send.
            extra_environment={"POWERTOOLS_TRACE_DISABLED": "true"},
            prewarmed_imports=prewarmed_imports,
        )
        self.event_sources = SqsEventSources(
            self.directory,
            account_id=ACCOUNT_ID,
            region=REGION,
            endpoint_url=self._aws_url,
            invoke=self.lambdas.invoke,
        )
        self.step_functions = StepFunctionsCredentials(
            self.directory, account_id=ACCOUNT_ID, endpoint_url=self._aws_url
        )
        self.sns_delivery = SnsToSqsDelivery(account_id=ACCOUNT_ID)
        self.queue_attributes = QueueAttributesKept()
        self.dynamodb_requests = DynamoDBRequestsSerialised()
        self.execution_start_times = ExecutionStartTimes()
        self.parsed_definitions = ParsedDefinitions()
        self.alarms = AlarmEvaluator(
            self.client,
            self.lambdas.counts,
            account_id=ACCOUNT_ID,
            region=REGION,
            interval_seconds=alarm_interval_seconds,
        )
        self.faults = FaultPlan()
        """Faults to inject (``localcloud.faults``): a test harness's control, in this process only."""
        self.enforcement.faults = self.faults
        self.lambdas.faults = self.faults
        self.stack: DeployedStack | None = None
        self.endpoints = Endpoints(aws="")
        self._admin: Credentials | None = None
        self._clients = ClientsByCredentials(self._new_client)
        self._settings: moto_seams.LocalCloudSettings | None = None
        self._user_pool_keys: moto_seams.ImportedUserPoolKeys | None = None
        self._servers: list[Any] = []

    @property
    def template_path(self) -> Path:
        """The SAM template this cloud deploys."""
        return self._template_path

    @property
    def parameters(self) -> dict[str, str]:
        """The template parameters it deploys with."""
        return dict(self._parameters)

    def _aws_url(self) -> str:
        if self._endpoint is None:
            raise LocalCloudError("the local cloud is not running")
        return self._endpoint.url

    # -------------------------------------------------------------- lifecycle

    def start(self) -> LocalCloud:
        if not (self._build_directory / "template.yaml").is_file():
            raise LocalCloudError(f"no build in {self._build_directory}: run `make build` (sam build) first")
        # A clean account, AWS managed policies (AWSLambdaBasicExecutionRole...) with their real
        # documents, and Step Functions that executes its state machines.
        moto_seams.reset_moto()
        self._settings = moto_seams.LocalCloudSettings()
        # moto imports the RSA key it ships for every user pool it creates (the enforcement then gives
        # each pool a key of its own): imported once per process instead.
        self._user_pool_keys = moto_seams.ImportedUserPoolKeys()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        # moto's interpreter logs every Fail state at ERROR; a failed booking is an expected outcome,
        # and describe_execution reports it.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        for part in (
            self.enforcement,
            self.lambdas,
            self.event_sources,
            self.step_functions,
            self.sns_delivery,
            self.queue_attributes,
            self.dynamodb_requests,
            self.execution_start_times,
            self.parsed_definitions,
        ):
            part.install()
        try:
            self._endpoint = _AwsEndpoint(self._aws_port, self.enforcement)
            self.endpoints = Endpoints(aws=self._endpoint.url)
            self._admin = self._bootstrap_administrator()
            self.enforcement.enabled = True
            self.stack = self._deploy()
            self._serve_rest_apis(self.stack)
            self._serve_graphql_apis(self.stack)
            self.alarms.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.alarms.stop()
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()
        self.event_sources.stop()
        self.lambdas.stop()
        self.step_functions.uninstall()
        self.sns_delivery.uninstall()
        self.queue_attributes.uninstall()
        self.dynamodb_requests.uninstall()
        self.execution_start_times.uninstall()
        self.parsed_definitions.uninstall()
        self.enforcement.uninstall()
        if self._endpoint is not None:
            self._endpoint.stop()
            self._endpoint = None
        # moto's state lives in this process: leave nothing behind for whatever runs next.
        self.directory.forget_sessions()
        self._clients.clear()
        moto_seams.reset_moto()
        if self._settings is not None:
            self._settings.restore()
            self._settings = None
        if self._user_pool_keys is not None:
            self._user_pool_keys.restore()
            self._user_pool_keys = None

    def __enter__(self) -> LocalCloud:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -------------------------------------------------------------- set-up

    def _bootstrap_administrator(self) -> Credentials:
        """The deployer's identity: an IAM user allowed everything, as an account administrator is.
        Created before enforcement starts; every request after that is authorised."""
        iam = boto3.client(
            "iam",
            region_name=REGION,
            endpoint_url=self._aws_url(),
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",  # noqa: S106 - accepted only before enforcement starts
        )
        iam.create_user(UserName=ADMIN_USER)
        iam.put_user_policy(
            UserName=ADMIN_USER,
            PolicyName="AdministratorAccess",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"], None)

    @property
    def admin_credentials(self) -> Credentials:
        if self._admin is None:
            raise LocalCloudError("the local cloud is not running")
        return self._admin

    def admin_session(self) -> boto3.Session:
        if self._admin is None:
            raise LocalCloudError("the local cloud is not running")
        return session_of(self._admin, REGION)

    def client(self, service: str, credentials: Credentials | None = None) -> Any:
        """A client of the local AWS endpoint, as the administrator or with the given credentials.

        Made once per service and credentials while the cloud runs (clients are thread-safe, and
        creating one costs more than most calls: the attack tier makes thousands)."""
        return self._clients.client(service, REGION, credentials or self.admin_credentials)

    def _new_client(self, service: str, region: str, credentials: Credentials) -> Any:
        return client_of(
            credentials,
            service,
            region,
            endpoint_url=self._aws_url(),
            config=Config(retries={"max_attempts": 1}),
        )

    def _deploy(self) -> DeployedStack:
        deployer = Deployer(
            self.admin_session(),
            account_id=ACCOUNT_ID,
            region=REGION,
            stack_name=self._stack_name,
            endpoint_url=self._aws_url(),
            code_root=self._build_directory,
        )
        template = translate(load_template(self._template_path), self._parameters, region=REGION)
        stack = deployer.deploy(template, self._parameters)
        self._code_directories.update(deployer.function_code.directories)
        return stack

    def _serve_rest_apis(self, stack: DeployedStack) -> None:
        stages = stack.of_type("AWS::ApiGateway::Stage")
        for api in stack.of_type("AWS::ApiGateway::RestApi"):
            [stage] = [s for s in stages if s.properties["RestApiId"] == api.physical_id]
            definition = RestApiDefinition.from_swagger(
                api.properties["Body"],
                api_id=api.physical_id,
                stage=Stage.from_cloudformation(stage.properties),
                account_id=ACCOUNT_ID,
                region=REGION,
            )
            app = LocalRestApi(
                definition,
                directory=self.directory,
                invoke=self.invoke_for_api_gateway,
                access_log=self.api_access_log.append,
            )
            self.rest_apis[api.logical_id] = app
            try:
                server = BackgroundServer(app, port=self._api_port, name=f"rest-api-{api.logical_id}").start()
            except PortInUseError as error:
                raise LocalCloudError(f"{error}: choose another port for the REST API") from None
            self._servers.append(server)
            self.rest_api_urls[api.physical_id] = server.url
            self.endpoints = replace(self.endpoints, loyalty_api=f"{server.url}/{definition.stage.name}")

    def _serve_graphql_apis(self, stack: DeployedStack) -> None:
        assert stack.resolver is not None
        resources = {
            resource.logical_id: {"Type": resource.type, "Properties": resource.properties}
            for resource in stack.resources.values()
        }
        function_ids = {
            function.logical_id: stack.resolver.get_att(function.logical_id, "FunctionId")
            for function in stack.of_type("AWS::AppSync::FunctionConfiguration")
        }
        for api in stack.of_type("AWS::AppSync::GraphQLApi"):
            definition = definition_from_template(
                resources,
                api_logical_id=api.logical_id,
                api_id=stack.resolver.get_att(api.logical_id, "ApiId"),
                account_id=ACCOUNT_ID,
                region=REGION,
                base_path=self._template_path.parent,
                function_ids=function_ids,
            )
            server = AppSyncServer(
                definition,
                self.directory,
                aws_endpoint_url=self._aws_url(),
                http_endpoint=aws_endpoint_router(self._aws_url(), self._rest_api_url),
                keys=JwksEndpoint.under(self._aws_url()),
                web_acl=self._web_acl_of(stack, api.physical_id),
                port=self._graphql_port,
            )
            try:
                server.start()
            except PortInUseError as error:
                raise LocalCloudError(f"{error}: choose another port for the GraphQL API") from None
            except NodeNotFoundError as error:
                message = f"{error} (the GraphQL resolvers are JavaScript: install Node.js 20+)"
                raise LocalCloudError(message) from None
            self._servers.append(server)
            self.graphql_apis[api.logical_id] = server
            self.endpoints = replace(self.endpoints, graphql=server.url)

    @staticmethod
    def _web_acl_of(stack: DeployedStack, resource_arn: str) -> WebAcl | None:
        """The web ACL associated with a resource (AWS::WAFv2::WebACLAssociation), if there is one."""
        assert stack.resolver is not None
        acls = {
            stack.resolver.get_att(acl.logical_id, "Arn"): acl for acl in stack.of_type("AWS::WAFv2::WebACL")
        }
        for association in stack.of_type("AWS::WAFv2::WebACLAssociation"):
            if association.properties["ResourceArn"] == resource_arn:
                return WebAcl(acls[association.properties["WebACLArn"]].properties)
        return None

    def _rest_api_url(self, api_id: str, region: str) -> str:
        if api_id not in self.rest_api_urls:
            raise LookupError(f"no REST API {api_id} in the local cloud")
        return self.rest_api_urls[api_id]

    # -------------------------------------------------------------- for the endpoints and the walkthrough

    def invoke_for_api_gateway(
        self, function_arn: str, event: dict[str, Any], source_arn: str
    ) -> InvocationResult:
        """API Gateway invoking its integration: allowed only by the function's resource-based policy."""
        function: LambdaFunction = lambda_backends[ACCOUNT_ID][REGION].get_function(function_arn)
        decision = evaluate(
            AccessRequest(
                Principal.service("apigateway.amazonaws.com"),
                "lambda:InvokeFunction",
                function.function_arn,
                {"aws:SourceArn": source_arn, "aws:SourceAccount": ACCOUNT_ID},
            ),
            identity_policies=[],
            resource_policy=function_policy(function),
            resource_account=ACCOUNT_ID,
        )
        if not decision.allowed:
            # API Gateway answers 500 when it may not invoke its integration.
            raise PermissionError(f"API Gateway may not invoke {function.function_arn} for {source_arn}")
        return self.lambdas.invoke(function, event)

    def create_customer(self, email: str, password: str | None = None, *, admin: bool = False) -> Customer:
        """A user in the stack's user pool, signed in (USER_PASSWORD_AUTH) like the demo's customer.

        Without ``password``, one that meets the pool's policy (upper, lower, digit, 12+) is made up."""
        password = password or f"Pw7-{secrets.token_urlsafe(16)}"
        if self.stack is None:
            raise LocalCloudError("the local cloud is not running")
        cognito = self.client("cognito-idp")
        pool_id = self.stack.outputs["UserPoolId"]
        created = cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        )["User"]
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
        if admin:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName="Admin")
        tokens = self.client("cognito-idp").initiate_auth(
            ClientId=self.stack.outputs["UserPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]
        sub = next(attribute["Value"] for attribute in created["Attributes"] if attribute["Name"] == "sub")
        return Customer(email=email, password=password, sub=sub, id_token=tokens["IdToken"])

    def role_credentials(
        self, logical_id: str, service: str | None = None, source_arn: str | None = None
    ) -> Credentials:
        """Temporary credentials of one of the stack's roles (for demonstrations and tests).

        With ``service``, they are obtained as that service would (the trust policy is checked), acting
        for ``source_arn`` - by default the stack's resource that service acts for (its GraphQL API, its
        state machine), none for Lambda, which sets no ``aws:SourceArn``."""
        if self.stack is None:
            raise LocalCloudError("the local cloud is not running")
        role_arn = self._role_arn(logical_id)
        session_name = f"{logical_id}-{secrets.token_hex(4)}"
        if service is None:
            return self.directory.role_credentials(role_arn, session_name)
        context = {"aws:SourceAccount": ACCOUNT_ID}
        source = source_arn or self._service_source(service)
        if source is not None:
            context["aws:SourceArn"] = source
        return self.directory.service_role_credentials(role_arn, service, session_name, context)

    def _service_source(self, service: str) -> str | None:
        """The one resource of the stack a service acts for when it assumes a role, if it names one."""
        assert self.stack is not None
        kinds = {
            "appsync.amazonaws.com": "AWS::AppSync::GraphQLApi",
            "states.amazonaws.com": "AWS::StepFunctions::StateMachine",
        }
        if service not in kinds:
            return None
        [resource] = self.stack.of_type(kinds[service])
        return resource.physical_id

    def _role_arn(self, logical_id: str) -> str:
        assert self.stack is not None
        assert self.stack.resolver is not None
        return self.stack.resolver.get_att(logical_id, "Arn")
