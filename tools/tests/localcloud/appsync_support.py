"""What the local AppSync tests share: the stack's AppSync resources in a moto server, and fakes.

:func:`build_stack` creates, in a running moto server, what the GraphQL API uses, from ``template.yaml``
itself: the flight and booking tables, the data sources' roles with their trust and permission
policies, a user pool with customers and an admin. It returns the API's definition as the deployed
stack would pass it to the local AppSync.

:class:`FakeTargets` stands in for the HTTP data sources' services (the loyalty REST API and Step
Functions' StartExecution). Each request must be SigV4-signed for the right service with the data
source role's own credentials, verified by the local cloud's one SigV4 verifier
(:func:`localcloud.sigv4.verify`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import boto3
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from localcloud.appsync.definition import ApiDefinition
from localcloud.appsync.template import definition_from_template
from localcloud.identity import IdentityDirectory
from localcloud.sigv4 import SignatureError, verify
from stacktools.catalog import Flight, sample_flights, seed
from stacktools.intrinsics import Resolver
from stacktools.project import ACCOUNT_ID, REGION
from stacktools.project import TEST_STACK_NAME as STACK_NAME
from stacktools.resources import create_table_kwargs
from stacktools.template import REPOSITORY_ROOT, load_template, resources_of_type

API_ID = "localapiabcdefghijklmnopqr"
REST_API_ID = "a1b2c3d4e5"
API_ARN = f"arn:aws:appsync:{REGION}:{ACCOUNT_ID}:apis/{API_ID}"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{STACK_NAME}-booking"
PASSWORD = "Correct-Horse-Battery-9"
ADMIN_CREDENTIALS = {
    "region_name": REGION,
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}
# The template's resources the GraphQL API needs; every other resource is left out.
_TABLES = ("FlightTable", "BookingTable", "PaymentTable")
_ROLES = (
    "FlightReadRole",
    "BookingReadRole",
    "LoyaltyDataSourceRole",
    "BookingDataSourceRole",
    "PaymentRegistrationRole",
)
_ROLE_POLICIES = ("LoyaltyDataSourcePolicy",)
_APPSYNC_TYPES = (
    "AWS::AppSync::GraphQLApi",
    "AWS::AppSync::GraphQLSchema",
    "AWS::AppSync::DataSource",
    "AWS::AppSync::FunctionConfiguration",
    "AWS::AppSync::Resolver",
)


@dataclass(frozen=True)
class User:
    email: str
    sub: str
    id_token: str
    access_token: str


@dataclass
class Stack:
    """The moto-side resources of the GraphQL API, and its definition."""

    endpoint_url: str
    definition: ApiDefinition
    resolver: Resolver
    user_pool_id: str
    client_id: str
    users: dict[str, User] = field(default_factory=dict)
    flights: list[Flight] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return admin_client(self.endpoint_url, service)

    def role_arn(self, logical_id: str) -> str:
        return self.resolver.get_att(logical_id, "Arn")

    def table_name(self, logical_id: str) -> str:
        return self.resolver.ref(logical_id)

    def create_role(self, name: str, trusted_service: str, policy: Mapping[str, Any] | None = None) -> str:
        iam = self.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": trusted_service}, "Action": "sts:AssumeRole"}
            ],
        }
        arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        if policy is not None:
            iam.put_role_policy(RoleName=name, PolicyName="Access", PolicyDocument=json.dumps(policy))
        return arn

    def create_user(self, name: str, policy: Mapping[str, Any] | None = None) -> tuple[str, str]:
        """An IAM user with an access key (and an inline policy); returns (key id, secret)."""
        iam = self.client("iam")
        iam.create_user(UserName=name)
        if policy is not None:
            iam.put_user_policy(UserName=name, PolicyName="Access", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return str(key["AccessKeyId"]), str(key["SecretAccessKey"])

    def sign_up(self, email: str, groups: tuple[str, ...] = ()) -> User:
        cognito = self.client("cognito-idp")
        cognito.admin_create_user(
            UserPoolId=self.user_pool_id, Username=email, TemporaryPassword=PASSWORD, MessageAction="SUPPRESS"
        )
        cognito.admin_set_user_password(
            UserPoolId=self.user_pool_id, Username=email, Password=PASSWORD, Permanent=True
        )
        for group in groups:
            cognito.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=email, GroupName=group)
        tokens = cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        attributes = cognito.admin_get_user(UserPoolId=self.user_pool_id, Username=email)["UserAttributes"]
        sub = next(attribute["Value"] for attribute in attributes if attribute["Name"] == "sub")
        user = User(email, sub, tokens["IdToken"], tokens["AccessToken"])
        self.users[email] = user
        return user

    def put_booking(self, booking_id: str, customer_id: str, created_at: str, flight_id: str) -> None:
        self.client("dynamodb").put_item(
            TableName=self.table_name("BookingTable"),
            Item={
                "id": {"S": booking_id},
                "customerId": {"S": customer_id},
                "flightId": {"S": flight_id},
                "status": {"S": "CONFIRMED"},
                "amount": {"N": "12900"},
                "currency": {"S": "EUR"},
                "createdAt": {"S": created_at},
                "bookingReference": {"S": "Q7K2PX"},
                "confirmedAt": {"S": created_at},
            },
        )


def definition_of(template: dict[str, Any], resolver: Resolver) -> ApiDefinition:
    """The API's definition from the template, as the deployed stack gives it to the local AppSync.

    ``resolver`` must know the physical ids the AppSync resources refer to (tables, roles, the user
    pool, the REST API, the state machine); the API's own ids are assigned here.
    """
    resolver.attributes[("GraphQLApi", "ApiId")] = API_ID
    resolver.attributes[("GraphQLApi", "Arn")] = API_ARN
    resolver.attributes.setdefault(
        ("GraphQLApiLoggingRole", "Arn"), f"arn:aws:iam::{ACCOUNT_ID}:role/{STACK_NAME}-GraphQLApiLoggingRole"
    )
    appsync = {
        logical_id: resource
        for kind in _APPSYNC_TYPES
        for logical_id, resource in resources_of_type(template, kind).items()
    }
    function_ids = {}
    for logical_id, resource in appsync.items():
        if resource["Type"] == "AWS::AppSync::DataSource":
            resolver.attributes[(logical_id, "Name")] = resource["Properties"]["Name"]
        if resource["Type"] == "AWS::AppSync::FunctionConfiguration":
            function_ids[logical_id] = f"fn-{logical_id.lower()}"
            resolver.attributes[(logical_id, "FunctionId")] = function_ids[logical_id]
    return definition_from_template(
        {
            logical_id: {"Type": resource["Type"], "Properties": resolver.resolve(resource["Properties"])}
            for logical_id, resource in appsync.items()
        },
        api_logical_id="GraphQLApi",
        api_id=API_ID,
        account_id=ACCOUNT_ID,
        region=REGION,
        base_path=REPOSITORY_ROOT,
        function_ids=function_ids,
    )


def new_resolver(template: dict[str, Any]) -> Resolver:
    """Intrinsics resolved as for a stack deployed with the template's default parameters."""
    return Resolver(
        account_id=ACCOUNT_ID,
        region=REGION,
        stack_name=STACK_NAME,
        refs={name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()},
        conditions={"CreateApiGatewayAccountRole": False, "AllowIntegrationTestPrincipal": False},
    )


def admin_client(endpoint_url: str, service: str) -> Any:
    """A client of the moto server with its administrator's credentials (for setting the stack up)."""
    return boto3.client(service, endpoint_url=endpoint_url, **ADMIN_CREDENTIALS)  # type: ignore[call-overload]


def build_stack(endpoint_url: str, today: date) -> Stack:
    """Creates the API's tables, roles and user pool in the moto server, and defines the API."""
    template = load_template()
    resources = template["Resources"]
    resolver = new_resolver(template)
    resolver.refs.update({"LoyaltyApi": REST_API_ID, "BookingStateMachine": STATE_MACHINE_ARN})
    # The data-source roles trust AppSync acting for this API only.
    resolver.attributes[("GraphQLApi", "Arn")] = API_ARN

    dynamodb = admin_client(endpoint_url, "dynamodb")
    for logical_id in _TABLES:
        name = f"{STACK_NAME}-{logical_id}"
        properties = resolver.resolve(resources[logical_id]["Properties"])
        table = dynamodb.create_table(**create_table_kwargs(properties, name))["TableDescription"]
        resolver.refs[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = table["TableArn"]

    cognito = admin_client(endpoint_url, "cognito-idp")
    pool = cognito.create_user_pool(PoolName=f"{STACK_NAME}-users", UsernameAttributes=["email"])
    user_pool_id = pool["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=user_pool_id,
        ClientName="airline",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=user_pool_id, GroupName="Admin")
    resolver.refs["UserPool"] = user_pool_id

    iam = admin_client(endpoint_url, "iam")
    for logical_id in _ROLES:
        name = f"{STACK_NAME}-{logical_id}"
        properties = resolver.resolve(resources[logical_id]["Properties"])
        trust = properties["AssumeRolePolicyDocument"]
        # stacktools' Resolver leaves an Fn::If that chose AWS::NoValue in a list as "", where
        # CloudFormation drops the element (LoyaltyDataSourceRole's optional test principal).
        trust["Statement"] = [statement for statement in trust["Statement"] if statement != ""]
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        for policy in properties.get("Policies", []):
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=json.dumps(policy["PolicyDocument"]),
            )
        resolver.refs[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = role["Arn"]
    for logical_id in _ROLE_POLICIES:
        properties = resolver.resolve(resources[logical_id]["Properties"])
        for role_name in properties["Roles"]:
            iam.put_role_policy(
                RoleName=role_name,
                PolicyName=properties["PolicyName"],
                PolicyDocument=json.dumps(properties["PolicyDocument"]),
            )

    flights = sample_flights(today)
    seed(dynamodb, resolver.ref("FlightTable"), flights)
    return Stack(
        endpoint_url, definition_of(template, resolver), resolver, user_pool_id, client_id, flights=flights
    )


# ---------------------------------------------------------------------- the HTTP data sources' services


@dataclass(frozen=True)
class SignedCall:
    """A request a fake service accepted: who signed it, for which service, and what it asked."""

    role_arn: str | None
    service: str
    method: str
    path: str
    target: str | None
    body: str


class FakeTargets:
    """The loyalty REST API and Step Functions, answering only requests signed by the right role.

    loyalty: customer id -> the loyalty summary GET /{stage}/loyalty/{id}/get answers with.
    """

    def __init__(
        self,
        directory: IdentityDirectory,
        *,
        loyalty_role_arn: str,
        booking_role_arn: str,
        stage: str,
        loyalty: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self._directory = directory
        self._roles = {"execute-api": loyalty_role_arn, "states": booking_role_arn}
        self._loyalty_path = re.compile(rf"^/{stage}/loyalty/(?P<customer>[^/]+)/get$")
        self._loyalty = loyalty
        self.calls: list[SignedCall] = []
        self.refusals: list[str] = []
        self.start_execution_error: tuple[int, str] | None = None
        """(status, __type) to answer StartExecution with instead of success."""
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    @contextmanager
    def running(self) -> Iterator[FakeTargets]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)

    def calls_to(self, service: str) -> list[SignedCall]:
        return [call for call in self.calls if call.service == service]

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._respond(request)(environ, start_response)

    def _respond(self, request: Request) -> Response:
        target = request.headers.get("X-Amz-Target")
        service = "states" if target else "execute-api"
        body = request.get_data()
        raw_path = request.environ.get("RAW_URI") or request.full_path.rstrip("?")
        try:
            caller = verify(
                request.method,
                f"http://{request.host}{raw_path}",
                dict(request.headers.items()),
                body,
                service=service,
                region=REGION,
                directory=self._directory,
            )
        except SignatureError as error:
            self.refusals.append(error.message)
            return _json({"__type": error.error_type, "message": error.message}, error.status)
        role_arn = caller.principal.role_arn
        if role_arn != self._roles[service]:
            self.refusals.append(f"{caller.principal.arn} may not call {service}")
            return _json({"message": "Forbidden"}, 403)
        self.calls.append(SignedCall(role_arn, service, request.method, request.path, target, body.decode()))
        if service == "states":
            return self._start_execution(target, json.loads(body))
        match = self._loyalty_path.match(request.path)
        if request.method != "GET" or match is None:
            return _json({"message": "Missing Authentication Token"}, 403)
        summary = self._loyalty.get(
            match["customer"], {"points": 0, "level": "bronze", "remainingPoints": 1000}
        )
        return _json(summary, 200)

    def _start_execution(self, target: str | None, document: dict[str, Any]) -> Response:
        if target != "AWSStepFunctions.StartExecution":
            return _json({"__type": "UnknownOperationException"}, 400)
        if self.start_execution_error is not None:
            status, error_type = self.start_execution_error
            return _json({"__type": error_type, "message": f"{document['stateMachineArn']} refused"}, status)
        arn = document["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{document['name']}"
        return _json({"executionArn": arn, "startDate": 1.8e9}, 200, "application/x-amz-json-1.0")


def _json(document: Any, status: int, content_type: str = "application/json") -> Response:
    return Response(json.dumps(document), status=status, content_type=content_type)
