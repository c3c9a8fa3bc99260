"""The GraphQL authorization matrix, live: every cell of tests/template/test_graphql_authorization_matrix.py
asked of the running local AppSync over HTTP, by real callers - customers and an Admin signed in to the
user pool, an IAM role signing with SigV4, a request without credentials and one with an API key.

Each caller asks each field about the customer's data (their booking, their bookings, their points);
where that gives nothing, about its own. What comes back decides the cell: the customer's data is
**allowed**, only the caller's own is **owner-only**, nothing is **denied**. A field of a type is asked
on its own, through the top-level field that returns the type, so that a refusal of one field cannot
hide another's answer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from requests_aws4auth import AWS4Auth

from graphql import GraphQLObjectType, get_named_type
from tests.e2e.conftest import create_role
from tests.support.local_cloud import (
    ACCOUNT_ID,
    REGION,
    Customer,
    LocalCloud,
    build_appsync_schema,
    sigv4,
)
from tests.support.local_stack import new_customer, put_item
from tests.support.template import REPOSITORY_ROOT, Flight, sample_flights, seed
from tests.template.test_graphql_authorization_matrix import COLUMNS, EXPECTED

pytestmark = pytest.mark.local_cloud
HERE = "tests/e2e/test_graphql_authorization_matrix.py"
TIMEOUT = 30
CUSTOMERS_POINTS = 12900
ALLOWED, OWNER_ONLY, DENIED = "allowed", "owner-only", "denied"


@dataclass(frozen=True)
class Caller:
    name: str
    customer: Customer | None = None
    """The signed-in customer this caller is (customers and the Admin)."""
    booking: str | None = None
    """The id of this caller's own booking."""
    headers: dict[str, str] | None = None
    auth: AWS4Auth | None = None

    @property
    def sub(self) -> str | None:
        return self.customer.sub if self.customer else None


@dataclass
class World:
    cloud: LocalCloud
    flight: Flight
    customer: Caller
    callers: dict[str, Caller]
    statuses: dict[str, set[int]]
    """Caller -> every HTTP status its requests got."""

    def post(self, caller: Caller, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        assert self.cloud.endpoints.graphql is not None
        response = requests.post(
            self.cloud.endpoints.graphql,
            json={"query": document, "variables": variables},
            headers=caller.headers or {},
            auth=caller.auth,
            timeout=TIMEOUT,
        )
        self.statuses.setdefault(caller.name, set()).add(response.status_code)
        answer: dict[str, Any] = response.json()
        return answer if response.status_code == 200 else {"data": None, "errors": answer.get("errors")}


def booking_of(cloud: LocalCloud, customer: Customer, flight: Flight) -> str:
    booking_id = str(uuid.uuid4())
    put_item(
        cloud,
        "BookingTable",
        {
            "id": booking_id,
            "customerId": customer.sub,
            "flightId": flight.id,
            "status": "CONFIRMED",
            "amount": flight.price,
            "currency": flight.currency,
            "createdAt": "2030-01-01T10:00:00+00:00",
            "bookingReference": "MTX001",
            "confirmedAt": "2030-01-01T10:00:05+00:00",
        },
    )
    return booking_id


@pytest.fixture(scope="module")
def world(cloud: LocalCloud) -> World:
    assert cloud.stack is not None
    assert cloud.stack.resolver is not None
    catalog = sample_flights(datetime.now(UTC).date())
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], catalog)
    flight = catalog[0]
    callers = {}
    for name, admin in (("customer", False), ("another customer", False), ("Admin", True)):
        customer = new_customer(cloud, admin=admin)
        callers[name] = Caller(
            name, customer, booking_of(cloud, customer, flight), headers={"Authorization": customer.id_token}
        )
    put_item(
        cloud,
        "LoyaltyTable",
        {"customerId": callers["customer"].sub, "sk": "TOTAL", "points": CUSTOMERS_POINTS},
    )
    api_id = cloud.stack.resolver.get_att("GraphQLApi", "ApiId")
    _, credentials = create_role(
        cloud,
        f"graphql-caller-{uuid.uuid4().hex[:6]}",
        [
            {
                "Effect": "Allow",
                "Action": "appsync:GraphQL",
                "Resource": f"arn:aws:appsync:{REGION}:{ACCOUNT_ID}:apis/{api_id}/*",
            }
        ],
    )
    callers["IAM principal"] = Caller("IAM principal", auth=sigv4(credentials, "appsync"))
    callers["anonymous"] = Caller("anonymous")
    callers["API key"] = Caller("API key", headers={"x-api-key": f"da2-{uuid.uuid4().hex}"})
    assert tuple(callers) == COLUMNS
    return World(cloud, flight, callers["customer"], callers, {})


# ---------------------------------------------------------------------- how each top-level field is asked


@dataclass(frozen=True)
class Asking:
    """How to ask a top-level field about the customer's data and, if that differs, about one's own."""

    document: str
    """With ``{selection}`` where the field's selection set goes."""
    about_customer: Callable[[World, Caller], dict[str, Any]]
    about_own: Callable[[World, Caller], dict[str, Any]] | None
    whose: Callable[[World, Caller, Any], str | None]
    """Given the field's value (asked with :data:`IDS`' selection): whose data it is, as a verdict."""
    ids: str
    """A selection that tells whose data came back."""


def _catalog(world: World, caller: Caller, value: Any) -> str | None:
    flights = value if isinstance(value, list) else [value]
    return ALLOWED if any(flight and flight["id"] == world.flight.id for flight in flights) else None


def _booking(world: World, caller: Caller, value: Any) -> str | None:
    if value and value["id"] == world.customer.booking:
        return ALLOWED
    return OWNER_ONLY if value and value["id"] == caller.booking else None


def _bookings(world: World, caller: Caller, value: Any) -> str | None:
    listed = {item["id"] for item in (value or {}).get("items") or []}
    if world.customer.booking in listed:
        return ALLOWED
    return OWNER_ONLY if caller.booking in listed else None


def _points(world: World, caller: Caller, value: Any) -> str | None:
    if not value:
        return None
    return ALLOWED if value["points"] == CUSTOMERS_POINTS else OWNER_ONLY


def _booked_for(world: World, caller: Caller, value: Any) -> str | None:
    """Whose booking the saga was started for: the execution's input names its customer."""
    if not value:
        return None
    assert world.cloud.stack is not None
    machine = world.cloud.stack.outputs["BookingStateMachineArn"]
    execution = machine.replace(":stateMachine:", ":execution:") + f":{value['id']}"
    started = json.loads(
        world.cloud.client("stepfunctions").describe_execution(executionArn=execution)["input"]
    )
    if started["customerId"] == world.customer.sub:
        return ALLOWED
    return OWNER_ONLY if caller.sub is not None and started["customerId"] == caller.sub else None


SEARCH = """query($from: String!, $to: String!, $on: AWSDate!) {
  searchFlights(departureAirportCode: $from, arrivalAirportCode: $to, departureDate: $on) {selection}
}"""
ASKING: dict[str, Asking] = {
    "Query.searchFlights": Asking(
        SEARCH,
        lambda w, c: {
            "from": w.flight.departure_airport_code,
            "to": w.flight.arrival_airport_code,
            "on": w.flight.departure_date,
        },
        None,
        _catalog,
        "{ id }",
    ),
    "Query.getFlight": Asking(
        "query($id: ID!) { getFlight(id: $id) {selection} }",
        lambda w, c: {"id": w.flight.id},
        None,
        _catalog,
        "{ id }",
    ),
    "Query.getBooking": Asking(
        "query($id: ID!) { getBooking(id: $id) {selection} }",
        lambda w, c: {"id": w.customer.booking},
        lambda w, c: {"id": c.booking},
        _booking,
        "{ id }",
    ),
    "Query.listBookings": Asking(
        "query { listBookings(limit: 100) {selection} }", lambda w, c: {}, None, _bookings, "{ items { id } }"
    ),
    "Query.getLoyalty": Asking(
        "query($c: ID) { getLoyalty(customerId: $c) {selection} }",
        lambda w, c: {"c": w.customer.sub},
        lambda w, c: {"c": None},
        _points,
        "{ points }",
    ),
    "Mutation.processBooking": Asking(
        "mutation($r: ID!, $f: ID!) {"
        ' processBooking(input: {requestId: $r, flightId: $f, paymentToken: "tok_visa"}) {selection} }',
        lambda w, c: {"r": str(uuid.uuid4()), "f": w.flight.id},
        None,
        _booked_for,
        "{ id }",
    ),
}
# The top-level field each type's fields are asked through.
THROUGH = {
    "Flight": "Query.getFlight",
    "Booking": "Query.getBooking",
    "BookingConnection": "Query.listBookings",
    "Loyalty": "Query.getLoyalty",
    "BookingProcess": "Mutation.processBooking",
}


def answers(world: World, caller: Caller, root: str, selection: str) -> list[dict[str, Any]]:
    """The top-level field's responses: about the customer's data, then (if that gave nothing) about
    the caller's own."""
    asking = ASKING[root]
    name = root.split(".")[1]
    document = asking.document.replace("{selection}", selection)
    found = [world.post(caller, document, asking.about_customer(world, caller))]
    if asking.about_own is not None and not (found[0]["data"] or {}).get(name):
        found.append(world.post(caller, document, asking.about_own(world, caller)))
    return found


def root_verdict(world: World, caller: Caller, root: str) -> str:
    asking = ASKING[root]
    name = root.split(".")[1]
    for answer in answers(world, caller, root, asking.ids):
        whose = asking.whose(world, caller, (answer["data"] or {}).get(name))
        if whose is not None and not answer.get("errors"):
            return whose
    return DENIED


def field_answered(world: World, caller: Caller, root: str, field: str, selection: str) -> bool:
    name = root.split(".")[1]
    return any(
        not answer.get("errors") and (answer["data"] or {}).get(name) not in (None, [])
        for answer in answers(world, caller, root, f"{{ {field} {selection} }}")
    )


def live_matrix(world: World) -> dict[str, tuple[str, ...]]:
    schema = build_appsync_schema(
        (REPOSITORY_ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8")
    )
    roots = [root for root in (schema.query_type, schema.mutation_type) if root]
    missing = [
        f"{root.name}.{name}" for root in roots for name in root.fields if f"{root.name}.{name}" not in ASKING
    ]
    assert missing == [], f"add how to ask {missing} to ASKING in {HERE}"
    matrix: dict[str, tuple[str, ...]] = {}
    verdicts = {
        (caller.name, root): root_verdict(world, caller, root)
        for caller in world.callers.values()
        for root in ASKING
    }
    for root in ASKING:
        matrix[root] = tuple(verdicts[(caller, root)] for caller in COLUMNS)
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_ in roots or type_.name.startswith("__"):
            continue
        assert type_.name in THROUGH, (
            f"add the top-level field that returns {type_.name} to THROUGH in {HERE}"
        )
        root = THROUGH[type_.name]
        for name, field in type_.fields.items():
            target = get_named_type(field.type)
            selection = "{ id }" if isinstance(target, GraphQLObjectType) else ""
            matrix[f"{type_.name}.{name}"] = tuple(
                verdicts[(caller, root)]
                if field_answered(world, world.callers[caller], root, name, selection)
                else DENIED
                for caller in COLUMNS
            )
    return matrix


def test_every_cell_holds_live(world: World) -> None:
    expected = {field: tuple(cell.split(" ")[0] for cell in cells) for field, cells in EXPECTED.items()}

    live = live_matrix(world)

    differences = [
        f"{field}: {caller}: live {cell}, expected {expected[field][index]}"
        for field, cells in live.items()
        for index, (caller, cell) in enumerate(zip(COLUMNS, cells, strict=True))
        if cell != expected.get(field, ("?",) * len(COLUMNS))[index]
    ]
    assert differences == []
    assert set(live) == set(expected)
    # A request in no mode of the API is refused as a whole, before any field: AppSync's 401.
    assert world.statuses["anonymous"] == world.statuses["API key"] == {401}
    assert world.statuses["customer"] == world.statuses["IAM principal"] == {200}
