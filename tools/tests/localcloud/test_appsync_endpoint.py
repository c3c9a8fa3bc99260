"""The local AppSync endpoint serving the stack's GraphQL API, end to end.

The API is defined from template.yaml; its tables, roles and user pool live in a moto server; the
HTTP data sources' services are fakes that answer only requests signed by the right role. Callers
sign in to the user pool, or sign their requests with SigV4 as IAM users.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.authorization import enable_iam_authentication
from moto.server import ThreadedMotoServer
from requests_aws4auth import AWS4Auth

from localcloud.appsync import dynamodb
from localcloud.appsync.auth import JwksEndpoint
from localcloud.appsync.datasources import aws_endpoint_router
from localcloud.appsync.definition import ApiDefinition, DynamoDbDataSource
from localcloud.appsync.dynamodb import PageTokens
from localcloud.appsync.server import AppSyncServer, GraphQLDecision
from localcloud.identity import MotoIdentityDirectory
from localcloud.serving import PortInUseError
from stacktools.project import ACCOUNT_ID, REGION
from tests.localcloud.appsync_support import (
    API_ID,
    STATE_MACHINE_ARN,
    FakeTargets,
    Stack,
    User,
    build_stack,
)

TODAY = date(2030, 1, 1)
ALICE_LOYALTY = {"points": 1200, "level": "silver", "remainingPoints": 800}
SEARCH = """
query Search($from: String!, $to: String!, $on: AWSDate!) {
  searchFlights(departureAirportCode: $from, arrivalAirportCode: $to, departureDate: $on) {
    id flightNumber departureAirportCode arrivalAirportCode departureDate departureDateTime
    price seatsAvailable
  }
}
"""
GET_FLIGHT = "query Flight($id: ID!) { getFlight(id: $id) { id } }"
GET_BOOKING = "query Booking($id: ID!) { getBooking(id: $id) { id } }"
PROCESS_BOOKING = """
mutation Book($requestId: ID!, $flightId: ID!) {
  processBooking(input: {requestId: $requestId, flightId: $flightId, paymentToken: "tok_visa"}) { id status }
}
"""


@dataclasses.dataclass
class Bookings:
    alice_older: str
    alice_newer: str
    bob: str


@dataclasses.dataclass
class World:
    stack: Stack
    directory: MotoIdentityDirectory
    targets: FakeTargets
    api: AppSyncServer
    alice: User
    bob: User
    admin: User
    bookings: Bookings
    catalog_reader: tuple[str, str]
    stranger: tuple[str, str]

    def post(
        self, query: str, token: str | None, variables: dict[str, Any] | None = None, url: str | None = None
    ) -> requests.Response:
        """Sends the query to the API (or to the server at ``url``) with the token, if any."""
        headers = {"Authorization": token} if token is not None else {}
        return requests.post(
            url or self.api.url,
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )

    def ask(
        self, query: str, user: User, variables: dict[str, Any] | None = None, url: str | None = None
    ) -> dict[str, Any]:
        """The response to the user's query, which must have been answered with 200."""
        response = self.post(query, user.id_token, variables, url)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def ask_signed(
        self, query: str, key: tuple[str, str], variables: dict[str, Any] | None = None
    ) -> requests.Response:
        return requests.post(
            self.api.url,
            json={"query": query, "variables": variables or {}},
            auth=AWS4Auth(key[0], key[1], REGION, "appsync"),
            timeout=30,
        )


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextmanager
def serving(
    world_stack: Stack, directory: MotoIdentityDirectory, targets: FakeTargets, definition: ApiDefinition
) -> Iterator[AppSyncServer]:
    with AppSyncServer(
        definition,
        directory,
        aws_endpoint_url=world_stack.endpoint_url,
        http_endpoint=aws_endpoint_router(targets.url, lambda _api, _region: targets.url),
        keys=JwksEndpoint.under(world_stack.endpoint_url),
    ) as server:
        yield server


@pytest.fixture(scope="module")
def world(moto_url: str) -> Iterator[World]:
    stack = build_stack(moto_url, TODAY)
    directory = MotoIdentityDirectory(ACCOUNT_ID, REGION)
    alice = stack.sign_up("alice@example.com")
    bob = stack.sign_up("bob@example.com")
    admin = stack.sign_up("staff@example.com", groups=("Admin",))
    flight = stack.flights[0].id
    bookings = Bookings(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
    stack.put_booking(bookings.alice_older, alice.sub, "2029-12-01T10:00:00.000000+00:00", flight)
    stack.put_booking(bookings.alice_newer, alice.sub, "2029-12-20T10:00:00.000000+00:00", flight)
    stack.put_booking(bookings.bob, bob.sub, "2029-12-10T10:00:00.000000+00:00", flight)
    catalog_reader = stack.create_user(
        "catalog-reader",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "appsync:GraphQL",
                    "Resource": f"arn:aws:appsync:{REGION}:{ACCOUNT_ID}:apis/{API_ID}/types/Query/fields/*",
                }
            ],
        },
    )
    stranger = stack.create_user("stranger")
    targets = FakeTargets(
        directory,
        loyalty_role_arn=stack.role_arn("LoyaltyDataSourceRole"),
        booking_role_arn=stack.role_arn("BookingDataSourceRole"),
        stage="dev",
        loyalty={alice.sub: ALICE_LOYALTY},
    )
    with targets.running(), serving(stack, directory, targets, stack.definition) as api:
        yield World(stack, directory, targets, api, alice, bob, admin, bookings, catalog_reader, stranger)


@pytest.fixture(autouse=True)
def fresh_targets(world: World) -> None:
    world.targets.calls.clear()
    world.targets.refusals.clear()
    world.targets.start_execution_error = None


def search_variables(world: World) -> dict[str, str]:
    flight = world.stack.flights[0]
    return {
        "from": flight.departure_airport_code,
        "to": flight.arrival_airport_code,
        "on": flight.departure_date,
    }


# ---------------------------------------------------------------------- the flight catalog


def test_search_flights_reads_the_route_index_for_a_customer(world: World) -> None:
    variables = search_variables(world)
    expected = sorted(
        flight.id
        for flight in world.stack.flights
        if (flight.departure_airport_code, flight.arrival_airport_code, flight.departure_date)
        == (variables["from"], variables["to"], variables["on"])
    )

    document = world.ask(SEARCH, world.alice, variables)

    assert "errors" not in document
    found = document["data"]["searchFlights"]
    assert sorted(flight["id"] for flight in found) == expected
    first = next(flight for flight in world.stack.flights if flight.id == found[0]["id"])
    assert found[0]["price"] == first.price
    assert found[0]["seatsAvailable"] == first.seat_capacity
    assert found[0]["departureDateTime"] == first.departure_date_time


def test_get_flight_finds_one_flight_and_null_for_an_unknown_id(world: World) -> None:
    flight = world.stack.flights[0]
    query = (
        '{ known: getFlight(id: "%s") { id flightNumber } unknown: getFlight(id: "XX000-2030-01-01") { id } }'
    )

    document = world.ask(query % flight.id, world.alice)

    assert document == {
        "data": {"known": {"id": flight.id, "flightNumber": flight.flight_number}, "unknown": None}
    }


def test_an_iam_caller_with_appsync_graphql_may_search_the_catalog(world: World) -> None:
    response = world.ask_signed(SEARCH, world.catalog_reader, search_variables(world))

    assert response.status_code == 200
    assert "errors" not in response.json()
    assert response.json()["data"]["searchFlights"]


def test_a_user_pool_field_is_unauthorized_to_an_iam_caller(world: World) -> None:
    # The IAM policy allows every Query field; the schema admits customers only to getBooking.
    query = """query Both($flight: ID!, $booking: ID!) {
      getFlight(id: $flight) { id }
      getBooking(id: $booking) { id }
    }"""
    variables = {"flight": world.stack.flights[0].id, "booking": world.bookings.alice_newer}

    document = world.ask_signed(query, world.catalog_reader, variables).json()

    assert document["data"] == {"getFlight": {"id": world.stack.flights[0].id}, "getBooking": None}
    assert document["errors"] == [
        {
            "path": ["getBooking"],
            "data": None,
            "errorType": "Unauthorized",
            "errorInfo": None,
            "locations": [{"line": 3, "column": 7, "sourceName": None}],
            "message": "Not Authorized to access getBooking on type Query",
        }
    ]


def test_an_iam_caller_without_appsync_graphql_is_unauthorized(world: World) -> None:
    document = world.ask_signed('{ getFlight(id: "SA101-2030-01-08") { id } }', world.stranger).json()

    assert document["data"] == {"getFlight": None}
    assert [(error["errorType"], error["message"]) for error in document["errors"]] == [
        ("Unauthorized", "Not Authorized to access getFlight on type Query")
    ]


def test_a_request_signed_with_the_wrong_secret_is_refused(world: World) -> None:
    response = world.ask_signed("{ __typename }", (world.catalog_reader[0], "not-the-secret"))

    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["errorType"] == "InvalidSignatureException"
    assert error["message"].startswith("The request signature we calculated does not match")


# ---------------------------------------------------------------------- bookings


def test_get_booking_returns_the_callers_own_booking(world: World) -> None:
    query = """query Booking($id: ID!) {
      getBooking(id: $id) { id flightId status amount currency createdAt bookingReference cancelledAt }
    }"""

    document = world.ask(query, world.alice, {"id": world.bookings.alice_newer})

    assert document == {
        "data": {
            "getBooking": {
                "id": world.bookings.alice_newer,
                "flightId": world.stack.flights[0].id,
                "status": "CONFIRMED",
                "amount": 12900,
                "currency": "EUR",
                "createdAt": "2029-12-20T10:00:00.000000+00:00",
                "bookingReference": "Q7K2PX",
                "cancelledAt": None,
            }
        }
    }


def test_another_customers_booking_is_null_like_an_unknown_one(world: World) -> None:
    query = '{ getBooking(id: "%s") { id } }'

    assert world.ask(query % world.bookings.bob, world.alice) == {"data": {"getBooking": None}}
    assert world.ask(query % uuid.uuid4(), world.alice) == {"data": {"getBooking": None}}


def test_an_access_token_is_accepted_too(world: World) -> None:
    response = world.post(GET_BOOKING, world.alice.access_token, {"id": world.bookings.alice_older})

    assert response.json() == {"data": {"getBooking": {"id": world.bookings.alice_older}}}


def test_list_bookings_pages_through_the_callers_bookings_newest_first(world: World) -> None:
    query = (
        "query Page($token: String) { listBookings(limit: 1, nextToken: $token) { items { id } nextToken } }"
    )

    first = world.ask(query, world.alice)["data"]["listBookings"]
    second = world.ask(query, world.alice, {"token": first["nextToken"]})["data"]["listBookings"]

    assert first["items"] == [{"id": world.bookings.alice_newer}]
    assert first["nextToken"]
    assert second["items"] == [{"id": world.bookings.alice_older}]
    everything = world.ask("{ listBookings { items { id } nextToken } }", world.alice)
    assert everything["data"]["listBookings"] == {
        "items": [{"id": world.bookings.alice_newer}, {"id": world.bookings.alice_older}],
        "nextToken": None,
    }


def test_a_next_token_that_the_api_did_not_issue_is_refused(world: World) -> None:
    forged = "eyJpZCI6IHsiUyI6ICJ4In19"
    query = '{ listBookings(nextToken: "%s") { items { id } } }'

    document = world.ask(query % forged, world.alice)

    assert document["data"] is None
    assert [(error["path"], error["errorType"]) for error in document["errors"]] == [
        (["listBookings"], "MappingTemplate")
    ]


# ---------------------------------------------------------------------- loyalty (HTTP, execute-api)


def test_a_customer_reads_their_own_loyalty_through_the_signed_rest_api(world: World) -> None:
    document = world.ask("{ getLoyalty { points level remainingPoints } }", world.alice)

    assert document == {"data": {"getLoyalty": ALICE_LOYALTY}}
    [call] = world.targets.calls
    assert call.role_arn == world.stack.role_arn("LoyaltyDataSourceRole")
    assert (call.service, call.method, call.path) == (
        "execute-api",
        "GET",
        f"/dev/loyalty/{world.alice.sub}/get",
    )


def test_an_admin_reads_another_customers_loyalty(world: World) -> None:
    query = '{ getLoyalty(customerId: "%s") { points level } }'

    document = world.ask(query % world.alice.sub, world.admin)

    assert document == {"data": {"getLoyalty": {"points": 1200, "level": "silver"}}}


def test_a_customer_may_not_read_another_customers_loyalty(world: World) -> None:
    query = '{ getLoyalty(customerId: "%s") { points } }'

    document = world.ask(query % world.alice.sub, world.bob)

    assert document["data"] == {"getLoyalty": None}
    assert [(error["errorType"], error["message"]) for error in document["errors"]] == [
        ("Unauthorized", "Not Authorized to access getLoyalty on type Query")
    ]
    assert world.targets.calls == []


# ---------------------------------------------------------------------- processBooking (pipeline)


def test_booking_an_unknown_flight_fails_before_the_saga_starts(world: World) -> None:
    document = world.ask(
        PROCESS_BOOKING, world.alice, {"requestId": str(uuid.uuid4()), "flightId": "XX999-2030-01-01"}
    )

    assert document["data"] is None
    assert [(error["path"], error["errorType"], error["message"]) for error in document["errors"]] == [
        (["processBooking"], "NotFound", "Flight not found")
    ]
    assert world.targets.calls_to("states") == []


def test_booking_starts_one_execution_named_after_the_booking(world: World) -> None:
    flight = world.stack.flights[0].id

    document = world.ask(PROCESS_BOOKING, world.alice, {"requestId": str(uuid.uuid4()), "flightId": flight})

    booking = document["data"]["processBooking"]
    assert booking["status"] == "PENDING"
    [call] = world.targets.calls_to("states")
    assert call.role_arn == world.stack.role_arn("BookingDataSourceRole")
    assert call.target == "AWSStepFunctions.StartExecution"
    request = json.loads(call.body)
    assert request["stateMachineArn"] == STATE_MACHINE_ARN
    assert request["name"] == booking["id"]
    assert json.loads(request["input"]) == {"customerId": world.alice.sub, "flightId": flight}
    # The card token was registered for the booking before the saga started, and goes no further.
    registration = world.stack.client("dynamodb").get_item(
        TableName=world.stack.table_name("PaymentTable"), Key={"bookingId": {"S": booking["id"]}}
    )["Item"]
    assert {name: registration[name] for name in ("status", "paymentMethod", "amount", "currency")} == {
        "status": {"S": "REGISTERED"},
        "paymentMethod": {"S": "tok_visa"},
        "amount": {"N": str(world.stack.flights[0].price)},
        "currency": {"S": world.stack.flights[0].currency},
    }
    assert "tok_" not in call.body


def test_a_refused_execution_gives_the_step_functions_error_type_only(world: World) -> None:
    # Its message names the state machine's ARN: the caller gets the error type, not the message.
    world.targets.start_execution_error = (400, "StateMachineDoesNotExist")

    document = world.ask(
        PROCESS_BOOKING, world.alice, {"requestId": str(uuid.uuid4()), "flightId": world.stack.flights[0].id}
    )

    assert [(error["errorType"], error["message"]) for error in document["errors"]] == [
        ("StateMachineDoesNotExist", "The booking could not be started")
    ]


@pytest.mark.parametrize("refusal", ["ThrottlingException", "ExecutionLimitExceeded"])
def test_an_execution_refused_for_now_is_the_retryable_throttled_error(world: World, refusal: str) -> None:
    world.targets.start_execution_error = (400, refusal)

    document = world.ask(
        PROCESS_BOOKING, world.alice, {"requestId": str(uuid.uuid4()), "flightId": world.stack.flights[0].id}
    )

    assert [(error["errorType"], error["errorInfo"]) for error in document["errors"]] == [
        ("Throttled", {"retryable": True, "retryStrategy": "exponential backoff with jitter"})
    ]


# ---------------------------------------------------------------------- refused requests (401)


def _id_token(world: World, user: User, **claims: Any) -> str:
    """A token the user pool itself issues (moto's key), with ``claims`` changed."""
    pool = cognitoidp_backends[ACCOUNT_ID][REGION].user_pools[world.stack.user_pool_id]
    expires_in = claims.pop("expires_in", 3600)
    token, _ = pool.create_jwt(
        world.stack.client_id, user.email, "id", expires_in=expires_in, extra_data=claims
    )
    return str(token)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Valid authorization header not provided."),
        ("not-a-token", "Unable to parse JWT token."),
        ("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "Unable to parse JWT token."),
    ],
)
def test_a_request_without_a_readable_token_is_unauthorized(
    world: World, authorization: str | None, message: str
) -> None:
    response = world.post("{ __typename }", authorization)

    assert response.status_code == 401
    assert response.json() == {"errors": [{"errorType": "UnauthorizedException", "message": message}]}
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"


def test_an_expired_token_is_unauthorized(world: World) -> None:
    response = world.post("{ __typename }", _id_token(world, world.alice, expires_in=-60))

    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"errorType": "UnauthorizedException", "message": "Token has expired."}
    ]


def test_a_token_of_another_issuer_is_unauthorized(world: World) -> None:
    token = _id_token(
        world, world.alice, iss=f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_SomeOtherPool"
    )

    response = world.post("{ __typename }", token)

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "You are not authorized to make this call."


def test_a_token_not_signed_by_the_pool_is_unauthorized(world: World) -> None:
    payload = world.alice.id_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, RSAKey.generate_key(2048))

    response = world.post("{ __typename }", forged)

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "You are not authorized to make this call."


def test_a_body_that_is_not_a_graphql_request_is_refused(world: World) -> None:
    response = requests.post(
        world.api.url, data=b"query { nope", headers={"Authorization": world.alice.id_token}, timeout=30
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["errorType"] == "MalformedHttpRequestException"


# ---------------------------------------------------------------------- the API's limits


def test_introspection_is_refused_as_appsync_refuses_it(world: World) -> None:
    document = world.ask("{ __schema { types { name } } }", world.alice)

    assert document == {
        "data": None,
        "errors": [
            {
                "path": None,
                "locations": [{"line": 1, "column": 14, "sourceName": None}],
                "message": "Validation error of type FieldUndefined: Field 'types' in type '__Schema' "
                "is undefined @ '__schema/types'",
            }
        ],
    }
    assert world.ask("{ __typename }", world.alice) == {"data": {"__typename": "Query"}}


def test_fields_deeper_than_the_depth_limit_are_errors(world: World) -> None:
    shallow = dataclasses.replace(world.stack.definition, query_depth_limit=1)
    variables = {"id": world.stack.flights[0].id}

    with serving(world.stack, world.directory, world.targets, shallow) as api:
        document = world.ask(GET_FLIGHT, world.alice, variables, url=api.url)

    # id is non-null, so its error nulls the nearest nullable field, getFlight.
    assert document["data"] == {"getFlight": None}
    assert [(error["path"], error["errorType"]) for error in document["errors"]] == [
        (["getFlight", "id"], "QueryDepthLimitExceeded")
    ]
    assert world.ask(GET_FLIGHT, world.alice, variables) == {"data": {"getFlight": variables}}


# ---------------------------------------------------------------------- data source roles


def _with_flight_role(definition: ApiDefinition, role_arn: str) -> ApiDefinition:
    sources = tuple(
        dataclasses.replace(source, service_role_arn=role_arn)
        if isinstance(source, DynamoDbDataSource)
        else source
        for source in definition.data_sources
    )
    return dataclasses.replace(definition, data_sources=sources)


def test_a_role_that_does_not_trust_appsync_fails_the_field(world: World) -> None:
    role = world.stack.create_role("trusts-lambda-only", "lambda.amazonaws.com", _READ_EVERYTHING)
    variables = {"id": world.stack.flights[0].id}

    with serving(
        world.stack, world.directory, world.targets, _with_flight_role(world.stack.definition, role)
    ) as api:
        document = world.ask(GET_FLIGHT, world.alice, variables, url=api.url)

    assert document["data"] == {"getFlight": None}
    [error] = document["errors"]
    assert error["errorType"] == "UnableToAssumeRole"
    assert error["message"].startswith(f"Unable to assume role {role}: appsync.amazonaws.com may not assume")


def test_a_role_without_permission_on_the_table_fails_the_field(world: World) -> None:
    # moto enforces IAM while this test runs: the role may be assumed, but grants nothing.
    role = world.stack.create_role("reads-nothing", "appsync.amazonaws.com")
    variables = {"id": world.stack.flights[0].id}

    with (
        serving(
            world.stack, world.directory, world.targets, _with_flight_role(world.stack.definition, role)
        ) as api,
        enable_iam_authentication(),
    ):
        document = world.ask(GET_FLIGHT, world.alice, variables, url=api.url)

    assert document["data"] == {"getFlight": None}
    [error] = document["errors"]
    assert error["errorType"] == "DynamoDB:DynamoDbException"
    assert (
        "assumed-role/reads-nothing/APPSYNC_ASSUME_ROLE is not authorized to perform: dynamodb:GetItem"
        in (error["message"])
    )


_READ_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
}


# ---------------------------------------------------------------------- the server itself


def test_a_busy_port_is_named_in_the_error(world: World) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = AppSyncServer(
            world.stack.definition,
            world.directory,
            aws_endpoint_url=world.stack.endpoint_url,
            http_endpoint=lambda endpoint: endpoint,
            keys=JwksEndpoint.under(world.stack.endpoint_url),
            port=port,
        )
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            server.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_concurrent_requests_are_each_answered_in_full(world: World) -> None:
    query = (
        "query Q($id: ID!) { getFlight(id: $id) { id } getLoyalty { points } listBookings { items { id } } }"
    )
    flights = [flight.id for flight in world.stack.flights[:8]]

    with ThreadPoolExecutor(max_workers=8) as pool:
        documents = list(pool.map(lambda flight: world.ask(query, world.alice, {"id": flight}), flights))

    assert [document["data"]["getFlight"]["id"] for document in documents] == flights
    assert all("errors" not in document for document in documents)
    assert all(document["data"]["getLoyalty"] == {"points": 1200} for document in documents)


def test_a_fault_of_the_local_cloud_is_a_500_in_appsyncs_shape(world: World) -> None:
    # Nothing listens on port 9 here: the user pool's keys cannot be fetched.
    with AppSyncServer(
        world.stack.definition,
        world.directory,
        aws_endpoint_url=world.stack.endpoint_url,
        http_endpoint=lambda endpoint: endpoint,
        keys=JwksEndpoint.under("http://127.0.0.1:9"),
    ) as api:
        response = world.post("{ __typename }", world.alice.id_token, url=api.url)

    assert response.status_code == 500
    [error] = response.json()["errors"]
    assert error["errorType"] == "InternalFailure"


def test_a_stopped_server_can_be_started_again(world: World) -> None:
    server = AppSyncServer(
        world.stack.definition,
        world.directory,
        aws_endpoint_url=world.stack.endpoint_url,
        http_endpoint=lambda endpoint: endpoint,
        keys=JwksEndpoint.under(world.stack.endpoint_url),
    )
    for _ in range(2):
        with server:
            assert world.ask("{ __typename }", world.alice, url=server.url) == {
                "data": {"__typename": "Query"}
            }


def test_only_post_to_graphql_is_served(world: World) -> None:
    base = world.api.url.removesuffix("/graphql")

    assert requests.post(f"{base}/other", json={}, timeout=30).status_code == 404
    assert requests.get(world.api.url, timeout=30).status_code == 405


# ---------------------------------------------------------------------- the DynamoDB data source's requests


def _flight_table(world: World) -> tuple[Any, str]:
    return world.stack.client("dynamodb"), world.stack.table_name("FlightTable")


def test_a_scan_applies_its_filter_and_projection_and_pages_with_next_token(world: World) -> None:
    client, table = _flight_table(world)
    tokens = PageTokens()
    flight = world.stack.flights[0]
    request: dict[str, Any] = {
        "operation": "Scan",
        "filter": {
            "expression": "#route = :route",
            "expressionNames": {"#route": "route"},
            "expressionValues": {
                ":route": {"S": f"{flight.departure_airport_code}#{flight.arrival_airport_code}"}
            },
        },
        "projection": {"expression": "#id, price", "expressionNames": {"#id": "id"}},
        "limit": 1000,
    }

    page = dynamodb.invoke(client, table, request, tokens).result

    expected = {
        (candidate.id, candidate.price)
        for candidate in world.stack.flights
        if (candidate.departure_airport_code, candidate.arrival_airport_code)
        == (flight.departure_airport_code, flight.arrival_airport_code)
    }
    assert {(item["id"], item["price"]) for item in page["items"]} == expected
    assert all(set(item) == {"id", "price"} for item in page["items"])
    assert page["scannedCount"] == len(world.stack.flights)
    assert page["nextToken"] is None

    first = dynamodb.invoke(client, table, {"operation": "Scan", "limit": 1}, tokens).result
    second = dynamodb.invoke(
        client, table, {"operation": "Scan", "limit": 1, "nextToken": first["nextToken"]}, tokens
    )
    assert first["items"][0]["id"] != second.result["items"][0]["id"]


def test_a_next_token_only_continues_the_table_and_index_it_came_from(world: World) -> None:
    client, table = _flight_table(world)
    tokens = PageTokens()
    token = dynamodb.invoke(client, table, {"operation": "Scan", "limit": 1}, tokens).result["nextToken"]

    with pytest.raises(dynamodb.MappingTemplateError, match="nextToken is not valid"):
        dynamodb.invoke(client, table, {"operation": "Scan", "index": "byRoute", "nextToken": token}, tokens)
    with pytest.raises(dynamodb.MappingTemplateError, match="nextToken is not valid"):
        dynamodb.invoke(client, table, {"operation": "Scan", "nextToken": token}, PageTokens())


@pytest.mark.parametrize(
    ("request_object", "message"),
    [
        ({"key": {"id": {"S": "x"}}}, r"Value for field '\$\[operation\]' not found\."),
        ({"operation": "GetItem"}, r"Value for field '\$\[key\]' not found\."),
        ({"operation": "Query", "index": "byRoute"}, r"Value for field '\$\[query\]' not found\."),
        ({"operation": "Explode"}, "Unsupported operation 'Explode'"),
        (
            {"operation": "UpdateItem", "key": {"id": {"S": "x"}}},
            "does not implement the DynamoDB operation 'UpdateItem' .it implements GetItem, Query, Scan, "
            "PutItem.",
        ),
        ({"operation": "PutItem"}, r"Value for field '\$\[key\]' not found\."),
        (
            {"operation": "PutItem", "key": {"id": {"S": "x"}}, "_version": 1},
            "does not implement PutItem's _version",
        ),
        (
            {"operation": "PutItem", "key": {"id": {"S": "x"}}, "attributeValues": {"id": {"S": "y"}}},
            "must not repeat the key",
        ),
        (
            {
                "operation": "PutItem",
                "key": {"id": {"S": "x"}},
                "condition": {"expression": "x", "equalsIgnore": []},
            },
            "'condition' must be an object of expression, expressionNames and expressionValues",
        ),
        ({"operation": "GetItem", "key": {"id": "x"}}, "must be a typed value"),
    ],
)
def test_requests_appsync_would_not_send_are_mapping_template_errors(
    world: World, request_object: dict[str, Any], message: str
) -> None:
    client, table = _flight_table(world)

    with pytest.raises(dynamodb.MappingTemplateError, match=message):
        dynamodb.invoke(client, table, request_object, PageTokens())


def test_a_service_error_is_the_resolvers_ctx_error(world: World) -> None:
    client, _ = _flight_table(world)

    invocation = dynamodb.invoke(
        client, "no-such-table", {"operation": "GetItem", "key": {"id": {"S": "x"}}}, PageTokens()
    )

    assert invocation.result is None
    assert invocation.error is not None
    assert invocation.error["type"] == "DynamoDB:DynamoDbException"
    assert "(Service: DynamoDb, Status Code: 400, Request ID: " in invocation.error["message"]


# ---------------------------------------------------------------------- decisions told to listeners


@contextmanager
def listening(world: World) -> Iterator[list[GraphQLDecision]]:
    decisions: list[GraphQLDecision] = []
    world.api.listeners.append(decisions.append)
    try:
        yield decisions
    finally:
        world.api.listeners.remove(decisions.append)


def test_listeners_hear_each_field_a_customer_may_ask_for(world: World) -> None:
    with listening(world) as decisions:
        world.ask(SEARCH, world.alice, search_variables(world))

    assert [(d.caller, d.resource.rsplit("/", 3)[-3:], d.allowed) for d in decisions] == [
        (f"user-pool:{world.alice.sub}", ["Query", "fields", "searchFlights"], True)
    ]
    assert decisions[0].resource.startswith(f"arn:aws:appsync:{REGION}:{ACCOUNT_ID}:apis/{API_ID}/types/")


def test_listeners_hear_a_field_refused_to_an_iam_caller(world: World) -> None:
    query = "query Both($f: ID!, $b: ID!) { flight: getFlight(id: $f) { id } getBooking(id: $b) { id } }"
    variables = {"f": world.stack.flights[0].id, "b": world.bookings.alice_newer}
    with listening(world) as decisions:
        world.ask_signed(query, world.catalog_reader, variables)

    assert [(d.resource.rsplit("/", 1)[-1], d.allowed, d.reason) for d in decisions] == [
        ("getFlight", True, "Query.getFlight admits AWS_IAM callers"),
        ("getBooking", False, "Not Authorized to access getBooking on type Query"),
    ]
    assert {d.caller for d in decisions} == {f"arn:aws:iam::{ACCOUNT_ID}:user/catalog-reader"}


def test_listeners_hear_a_forged_token_refused_and_never_see_it(world: World) -> None:
    forged = jwt.encode(
        {"alg": "RS256", "kid": "forged"},
        {"sub": world.alice.sub, "token_use": "id", "cognito:groups": ["Admin"]},
        RSAKey.generate_key(2048),
    )
    with listening(world) as decisions:
        response = world.post(SEARCH, forged, search_variables(world))

    assert response.status_code == 401
    [decision] = decisions
    assert (decision.caller, decision.resource, decision.allowed) == (
        "unauthenticated",
        f"arn:aws:appsync:{REGION}:{ACCOUNT_ID}:apis/{API_ID}",
        False,
    )
    assert decision.reason == "401 UnauthorizedException: You are not authorized to make this call."
    assert forged not in repr(decision)


def test_a_put_item_writes_the_key_and_attributes_and_answers_the_item(world: World) -> None:
    client, table = _flight_table(world)
    request = {
        "operation": "PutItem",
        "key": {"id": {"S": "SA999-2030-01-08"}},
        "attributeValues": {"price": {"N": "100"}, "currency": {"S": "EUR"}},
        "condition": {"expression": "attribute_not_exists(#id)", "expressionNames": {"#id": "id"}},
    }

    written = dynamodb.invoke(client, table, request, PageTokens())
    again = dynamodb.invoke(client, table, request, PageTokens())

    assert written.result == {"id": "SA999-2030-01-08", "price": 100, "currency": "EUR"}
    stored = client.get_item(TableName=table, Key={"id": {"S": "SA999-2030-01-08"}})["Item"]
    assert stored == {"id": {"S": "SA999-2030-01-08"}, "price": {"N": "100"}, "currency": {"S": "EUR"}}
    # The condition holds the second put off: AppSync names that error, and nothing changed.
    assert again.result is None
    assert again.error is not None
    assert again.error["type"] == "DynamoDB:ConditionalCheckFailedException"
    client.delete_item(TableName=table, Key={"id": {"S": "SA999-2030-01-08"}})
