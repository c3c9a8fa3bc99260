"""The local AppSync's parts that need no server: the API's definition from the template, the auth
rules the schema's directives make, AppSync's scalars, user pool tokens, and endpoint routing."""

from __future__ import annotations

import dataclasses
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from graphql import GraphQLError, GraphQLScalarType
from localcloud.appsync import schema as schema_module
from localcloud.appsync.auth import Authenticator, RequestRefusedError, StaticKeys
from localcloud.appsync.datasources import aws_endpoint_router
from localcloud.appsync.definition import (
    ApiDefinition,
    AuthenticationType,
    AuthProvider,
    DefinitionError,
    DynamoDbDataSource,
    HttpDataSource,
    PipelineResolver,
    SigV4Signing,
    UnitResolver,
    UserPoolConfig,
)
from localcloud.appsync.dynamodb import to_plain_map
from localcloud.appsync.schema import FieldAuth, build_appsync_schema, field_auth_rules
from localcloud.appsync.template import definition_from_template
from localcloud.identity import Caller
from stacktools.project import ACCOUNT_ID, REGION
from stacktools.template import REPOSITORY_ROOT, load_template
from tests.localcloud.appsync_support import (
    API_ID,
    REST_API_ID,
    STATE_MACHINE_ARN,
    definition_of,
    new_resolver,
)

COGNITO = AuthenticationType.AMAZON_COGNITO_USER_POOLS
IAM = AuthenticationType.AWS_IAM
POOL_ID = f"{REGION}_AbCdEfGhI"


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


@pytest.fixture(scope="module")
def definition() -> ApiDefinition:
    template = load_template()
    resolver = new_resolver(template)
    resolver.refs.update(
        {
            "UserPool": POOL_ID,
            "LoyaltyApi": REST_API_ID,
            "BookingStateMachine": STATE_MACHINE_ARN,
            "FlightTable": "flights",
            "BookingTable": "bookings",
            "PaymentTable": "payments",
        }
    )
    for logical_id in (
        "FlightReadRole",
        "BookingReadRole",
        "LoyaltyDataSourceRole",
        "BookingDataSourceRole",
        "PaymentRegistrationRole",
    ):
        resolver.attributes[(logical_id, "Arn")] = role(logical_id)
    return definition_of(template, resolver)


# ---------------------------------------------------------------------- the template's API


def test_the_api_is_defined_as_the_template_declares_it(definition: ApiDefinition) -> None:
    assert definition.api_id == API_ID
    assert definition.default_auth == AuthProvider(COGNITO, UserPoolConfig(POOL_ID, REGION))
    assert definition.additional_auth == (AuthProvider(IAM),)
    assert definition.environment == {
        "BOOKING_STATE_MACHINE_ARN": STATE_MACHINE_ARN,
        "LOYALTY_API_STAGE": "dev",
    }
    assert definition.introspection is False
    assert definition.query_depth_limit == 5
    assert definition.schema == (REPOSITORY_ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8")


def test_the_data_sources_keep_their_roles_endpoints_and_signing(definition: ApiDefinition) -> None:
    assert set(definition.data_sources) == {
        HttpDataSource(
            "LoyaltyApi",
            f"https://{REST_API_ID}.execute-api.{REGION}.amazonaws.com",
            role("LoyaltyDataSourceRole"),
            SigV4Signing(REGION, "execute-api"),
        ),
        HttpDataSource(
            "BookingWorkflow",
            f"https://states.{REGION}.amazonaws.com",
            role("BookingDataSourceRole"),
            SigV4Signing(REGION, "states"),
        ),
        DynamoDbDataSource("FlightTable", role("FlightReadRole"), "flights", REGION),
        DynamoDbDataSource("BookingTable", role("BookingReadRole"), "bookings", REGION),
        DynamoDbDataSource("PaymentRegistrations", role("PaymentRegistrationRole"), "payments", REGION),
    }, (
        "this pins the template's AppSync data sources: one added to template.yaml is added here "
        "(tools/tests/localcloud/test_appsync_definition.py), with its role and its table or endpoint"
    )


def test_process_booking_is_a_pipeline_of_look_up_find_count_register_then_start(
    definition: ApiDefinition,
) -> None:
    pipelines = {
        (resolver.type_name, resolver.field_name): resolver
        for resolver in definition.resolvers
        if isinstance(resolver, PipelineResolver)
    }
    pipeline = pipelines[("Mutation", "processBooking")]

    steps = [definition.function(function_id) for function_id in pipeline.functions]

    assert [(step.name, step.data_source) for step in steps] == [
        ("lookUpFlight", "FlightTable"),
        ("findBookingRequest", "PaymentRegistrations"),
        ("countBookingsInFlight", "BookingTable"),
        ("registerPaymentMethod", "PaymentRegistrations"),
        ("startBooking", "BookingWorkflow"),
    ]
    assert pipeline.code == REPOSITORY_ROOT / "graphql" / "resolvers" / "pipeline.js"
    units = {
        (r.type_name, r.field_name): r.data_source
        for r in definition.resolvers
        if isinstance(r, UnitResolver)
    }
    assert units == {
        ("Query", "searchFlights"): "FlightTable",
        ("Query", "getFlight"): "FlightTable",
        ("Query", "getBooking"): "BookingTable",
        ("Query", "listBookings"): "BookingTable",
        ("Query", "getLoyalty"): "LoyaltyApi",
    }, (
        "this pins the template's unit resolvers and their data sources: a resolver added to template.yaml "
        "is added here (tools/tests/localcloud/test_appsync_definition.py); a pipeline resolver, to "
        "`pipelines` above with its steps"
    )
    assert set(pipelines) == {("Mutation", "processBooking")}, (
        "this pins the template's pipeline resolvers: one added to template.yaml gets a test of its steps "
        "here (tools/tests/localcloud/test_appsync_definition.py)"
    )


def _api_resources(**api_properties: Any) -> dict[str, dict[str, Any]]:
    return {
        "Api": {
            "Type": "AWS::AppSync::GraphQLApi",
            "Properties": {"AuthenticationType": "AWS_IAM", **api_properties},
        },
        "Schema": {
            "Type": "AWS::AppSync::GraphQLSchema",
            "Properties": {"ApiId": "api", "Definition": "type Query { a: String }"},
        },
    }


def _from(resources: dict[str, dict[str, Any]]) -> ApiDefinition:
    return definition_from_template(
        resources,
        api_logical_id="Api",
        api_id="api",
        account_id=ACCOUNT_ID,
        region=REGION,
        base_path=REPOSITORY_ROOT,
    )


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (_api_resources(AuthenticationType="API_KEY"), "authentication type 'API_KEY' is not supported"),
        (
            _api_resources(
                AuthenticationType="AMAZON_COGNITO_USER_POOLS",
                UserPoolConfig={"UserPoolId": POOL_ID, "AwsRegion": REGION, "DefaultAction": "DENY"},
            ),
            "default action 'DENY' is not supported",
        ),
        (_api_resources(QueryDepthLimit=76), "query depth limit must be 0 to 75"),
        (_api_resources(EnvironmentVariables={"1BAD": "x"}), "environment variable name '1BAD'"),
        (
            {
                **_api_resources(),
                "Lambda": {
                    "Type": "AWS::AppSync::DataSource",
                    "Properties": {"ApiId": "api", "Name": "Fn", "Type": "AWS_LAMBDA"},
                },
            },
            "data sources of type 'AWS_LAMBDA' are not supported",
        ),
        (
            {
                **_api_resources(),
                "Vtl": {
                    "Type": "AWS::AppSync::Resolver",
                    "Properties": {
                        "ApiId": "api",
                        "TypeName": "Query",
                        "FieldName": "a",
                        "DataSourceName": "None",
                        "RequestMappingTemplate": "{}",
                    },
                },
            },
            "only APPSYNC_JS code is supported",
        ),
        (
            {
                **_api_resources(),
                "Unit": {
                    "Type": "AWS::AppSync::Resolver",
                    "Properties": {
                        "ApiId": "api",
                        "TypeName": "Query",
                        "FieldName": "a",
                        "DataSourceName": "Nowhere",
                        "Runtime": {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"},
                        "CodeS3Location": "graphql/resolvers/Query.getFlight.js",
                    },
                },
            },
            "no data source named 'Nowhere'",
        ),
    ],
)
def test_what_the_local_appsync_cannot_serve_is_refused_up_front(
    resources: dict[str, dict[str, Any]], message: str
) -> None:
    with pytest.raises(DefinitionError, match=message):
        _from(resources)


def test_a_resolver_without_its_code_file_is_refused(definition: ApiDefinition) -> None:
    [first, *others] = definition.resolvers
    missing = dataclasses.replace(first, code=Path("/nowhere/Query.missing.js"))

    with pytest.raises(DefinitionError, match=r"no code at /nowhere/Query\.missing\.js"):
        dataclasses.replace(definition, resolvers=(missing, *others))


# ---------------------------------------------------------------------- auth directives


def test_the_schemas_directives_decide_who_reads_each_field(definition: ApiDefinition) -> None:
    rules = field_auth_rules(build_appsync_schema(definition.schema), COGNITO)

    both = FieldAuth(frozenset({COGNITO, IAM}))
    customers = FieldAuth(frozenset({COGNITO}))
    assert rules[("Query", "searchFlights")] == both
    assert rules[("Query", "getFlight")] == both
    assert rules[("Flight", "seatsAvailable")] == both
    for field in ("getBooking", "listBookings", "getLoyalty"):
        assert rules[("Query", field)] == customers
    assert rules[("Mutation", "processBooking")] == customers
    assert rules[("Booking", "id")] == customers
    assert rules[("BookingConnection", "items")] == customers


def test_a_field_directive_overrides_its_types_and_no_directive_means_the_default_mode() -> None:
    schema = build_appsync_schema(
        """
        type Query { open: Thing, restricted: Thing @aws_iam }
        type Thing @aws_cognito_user_pools(cognito_groups: ["Admin"]) { a: String, b: String @aws_iam }
        """
    )

    rules = field_auth_rules(schema, COGNITO)

    assert rules[("Query", "open")] == FieldAuth(frozenset({COGNITO}))
    assert rules[("Query", "restricted")] == FieldAuth(frozenset({IAM}))
    assert rules[("Thing", "a")] == FieldAuth(frozenset({COGNITO}), frozenset({"Admin"}))
    assert rules[("Thing", "b")] == FieldAuth(frozenset({IAM}))


def test_a_directive_naming_any_mode_leaves_the_default_mode_out_unless_it_is_named_too() -> None:
    schema = build_appsync_schema(
        """
        type Query { machines: String @aws_iam, both: String @aws_iam @aws_cognito_user_pools, keyed: Key }
        type Key @aws_api_key { a: String, b: String @aws_oidc @aws_lambda }
        """
    )

    rules = field_auth_rules(schema, COGNITO, [IAM])

    assert not rules[("Query", "machines")].admits(COGNITO, frozenset())
    assert rules[("Query", "both")] == FieldAuth(frozenset({COGNITO, IAM}))
    # Modes the local AppSync does not serve are still read: their fields admit no local caller.
    assert rules[("Key", "a")] == FieldAuth(frozenset({AuthenticationType.API_KEY}))
    assert rules[("Key", "b")] == FieldAuth(
        frozenset({AuthenticationType.OPENID_CONNECT, AuthenticationType.AWS_LAMBDA})
    )
    assert not any(rules[("Key", "a")].admits(mode, frozenset({"Admin"})) for mode in (COGNITO, IAM))


def test_aws_auth_is_refused_once_the_api_has_additional_modes() -> None:
    schema = build_appsync_schema('type Query { staff: String @aws_auth(cognito_groups: ["Admin"]) }')

    alone = field_auth_rules(schema, COGNITO)

    assert alone[("Query", "staff")] == FieldAuth(frozenset({COGNITO}), frozenset({"Admin"}))
    with pytest.raises(DefinitionError, match=r"Query\.staff: @aws_auth works only when the user pool"):
        field_auth_rules(schema, COGNITO, [IAM])


def test_an_api_with_a_mode_the_local_appsync_does_not_serve_is_refused(definition: ApiDefinition) -> None:
    with pytest.raises(DefinitionError, match="authentication type 'API_KEY' is not supported"):
        dataclasses.replace(definition, additional_auth=(AuthProvider(AuthenticationType.API_KEY),))


# ---------------------------------------------------------------------- AppSync's scalars


@pytest.mark.parametrize(
    ("scalar", "valid", "invalid"),
    [
        (
            "AWSDate",
            ["2030-01-31", "2030-01-31Z", "2030-01-31+01:00"],
            ["2030-02-30", "31/01/2030", "2030-1-31"],
        ),
        ("AWSTime", ["12:30", "12:30:15.123", "12:30:15Z", "23:59:59-05:00"], ["24:00", "12:60", "noon"]),
        (
            "AWSDateTime",
            ["2030-01-31T12:30:00Z", "2030-01-31T12:30:00.000000+00:00", "2030-01-31T12:30+01:00"],
            ["2030-01-31T12:30:00", "2030-01-31 12:30:00Z", "2030-13-01T00:00:00Z"],
        ),
        ("AWSEmail", ["someone@example.com"], ["someone", "a@b", "@example.com"]),
        ("AWSPhone", ["+44 20 7946 0958", "(555) 010-9999"], ["call me", "+"]),
        ("AWSURL", ["https://example.com/a?b=c", "mailto:someone@example.com"], ["example.com", "/relative"]),
        ("AWSIPAddress", ["192.0.2.1", "2001:db8::1", "192.0.2.0/24"], ["192.0.2.256", "localhost"]),
        ("AWSTimestamp", [0, 1893456000], ["1893456000", 1.5, True]),
    ],
)
def test_aws_scalars_admit_what_appsync_documents(scalar: str, valid: list[Any], invalid: list[Any]) -> None:
    scalar_type = build_appsync_schema("type Query { a: String }").type_map[scalar]
    assert isinstance(scalar_type, GraphQLScalarType)

    for value in valid:
        assert scalar_type.coerce_input_value(value) == value
        assert scalar_type.coerce_output_value(value) == value
    for value in invalid:
        with pytest.raises(GraphQLError):
            scalar_type.coerce_input_value(value)


def test_aws_json_arguments_are_parsed_and_results_written_as_json() -> None:
    scalar_type = build_appsync_schema("type Query { a: String }").type_map["AWSJSON"]
    assert isinstance(scalar_type, GraphQLScalarType)

    assert scalar_type.coerce_input_value('{"a": [1, 2]}') == {"a": [1, 2]}
    assert scalar_type.coerce_output_value({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert scalar_type.coerce_output_value('"text"') == '"text"'
    with pytest.raises(GraphQLError):
        scalar_type.coerce_input_value("{not json")


# ---------------------------------------------------------------------- user pool tokens


class _Nobody:
    def caller_for(self, access_key_id: str) -> Caller | None:
        return None

    def role_credentials(self, role_arn: str, session_name: str) -> Any:
        raise AssertionError("not needed")


KEY = RSAKey.generate_key(2048, parameters={"kid": "pool-key"})


def _authenticator(regex: str | None = None) -> Authenticator:
    pool = UserPoolConfig(POOL_ID, REGION, app_id_client_regex=regex)
    definition = ApiDefinition(
        api_id="api",
        account_id=ACCOUNT_ID,
        region=REGION,
        schema="type Query { a: String }",
        default_auth=AuthProvider(COGNITO, pool),
    )
    keys = StaticKeys({POOL_ID: {"keys": [KEY.as_dict(private=False)]}})
    return Authenticator(definition, _Nobody(), keys=keys)


def _token(**changes: Any) -> str:
    claims = {
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}",
        "sub": "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90",
        "aud": "client-1",
        "token_use": "id",
        "cognito:username": "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90",
        "cognito:groups": ["Admin"],
        "exp": int(time.time()) + 600,
    }
    claims.update(changes)
    return jwt.encode({"alg": "RS256", "kid": "pool-key"}, claims, KEY)


def _authenticate(authenticator: Authenticator, token: str) -> Any:
    return authenticator.authenticate(
        "POST", "http://127.0.0.1/graphql", {"Authorization": token}, b"", "10.0.0.1"
    )


def test_an_id_token_gives_appsyncs_user_pool_identity() -> None:
    token = _token()

    caller = _authenticate(_authenticator(), token)

    assert caller.mode is COGNITO
    assert caller.groups == frozenset({"Admin"})
    identity = caller.identity
    assert identity["sub"] == identity["username"] == "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"
    assert identity["issuer"] == f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
    assert identity["groups"] == ["Admin"]
    assert identity["sourceIp"] == ["10.0.0.1"]
    assert identity["defaultAuthStrategy"] == "ALLOW"
    assert identity["claims"]["token_use"] == "id"


@pytest.mark.parametrize(
    "claims",
    [
        {"token_use": "refresh"},
        {"aud": "client-2"},
        {"iss": f"https://cognito-idp.{REGION}.amazonaws.com/other"},
    ],
)
def test_tokens_for_another_use_client_or_pool_are_unauthorized(claims: dict[str, Any]) -> None:
    with pytest.raises(RequestRefusedError) as refused:
        _authenticate(_authenticator(regex="client-1"), _token(**claims))

    assert (refused.value.status, refused.value.error_type) == (401, "UnauthorizedException")


def test_an_access_token_names_its_client_in_client_id() -> None:
    token = _token(token_use="access", aud=None, client_id="client-1", username="alice")

    caller = _authenticate(_authenticator(regex="client-1"), token)

    assert caller.identity["username"] == "alice"


def test_a_signed_request_is_refused_when_the_api_has_no_iam_mode() -> None:
    with pytest.raises(RequestRefusedError, match=r"You are not authorized to make this call\."):
        _authenticate(
            _authenticator(), "AWS4-HMAC-SHA256 Credential=AKIA/20300101/eu-west-1/appsync/aws4_request"
        )


# ---------------------------------------------------------------------- where data sources' requests go


def test_aws_endpoints_are_routed_to_the_local_cloud_and_nothing_else() -> None:
    route = aws_endpoint_router(
        "http://127.0.0.1:4566", lambda api, region: f"http://127.0.0.1:8080/{api}/{region}"
    )

    assert route(f"https://{REST_API_ID}.execute-api.{REGION}.amazonaws.com") == (
        f"http://127.0.0.1:8080/{REST_API_ID}/{REGION}"
    )
    assert route(f"https://states.{REGION}.amazonaws.com") == "http://127.0.0.1:4566"
    with pytest.raises(ValueError, match=r"no endpoint standing in for https://example\.com"):
        route("https://example.com")


# ---------------------------------------------------------------------- DynamoDB's typed values


def test_items_are_handed_to_resolvers_as_plain_json() -> None:
    item = {
        "s": {"S": "text"},
        "whole": {"N": "12900"},
        "fraction": {"N": "1.5"},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
        "bytes": {"B": b"\x00\x01"},
        "strings": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2.5"]},
        "blobs": {"BS": [b"\xff"]},
        "map": {"M": {"inner": {"L": [{"S": "x"}, {"N": "3"}]}}},
    }

    assert to_plain_map(item) == {
        "s": "text",
        "whole": 12900,
        "fraction": 1.5,
        "flag": True,
        "nothing": None,
        "bytes": "AAE=",
        "strings": ["a", "b"],
        "numbers": [1, 2.5],
        "blobs": ["/w=="],
        "map": {"inner": ["x", 3]},
    }


def test_each_schema_is_built_anew_and_its_sdl_validated_once_per_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validated: list[str] = []
    original = schema_module.assert_valid_sdl  # type: ignore[attr-defined]

    def counted(document: Any) -> None:
        validated.append(document.loc.source.body)
        original(document)

    monkeypatch.setattr(schema_module, "assert_valid_sdl", counted)
    sdl = f"type Query {{ once{uuid.uuid4().hex}: String }}"  # a text no other test has built

    first, second = build_appsync_schema(sdl), build_appsync_schema(sdl)

    assert first is not second  # each engine installs its own resolvers on its schema
    assert first.query_type is not second.query_type
    assert len(validated) == 1


def test_sdl_graphql_refuses_is_refused_every_time_it_is_built() -> None:
    for _ in range(2):
        with pytest.raises(DefinitionError, match=r"the schema is not valid: .*Unknown type 'Nowhere'"):
            build_appsync_schema("type Query { lost: Nowhere }")
