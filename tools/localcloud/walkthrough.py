"""The walkthrough: the airline on the local cloud, every boundary exercised, every step checked.

    python -m localcloud demo

Starts the local cloud, deploys template.yaml, seeds the catalog, creates a customer and then, as the
customer, signs in, searches, books (confirmed), reads loyalty through GraphQL (AppSync's HTTP resolver
signing with its own role), books with a declining card (compensated), and finally calls the loyalty
REST API directly as everyone who must be refused. Exits 0 only if every step behaved as expected.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from botocore.exceptions import ClientError
from requests_aws4auth import AWS4Auth

from localcloud.cloud import Customer, LocalCloud, LocalCloudError
from localcloud.identity import Credentials
from stacktools.catalog import Flight, sample_flights, seed
from stacktools.project import BOUNDARY_MAP_PORT, REGION, WEB_APP_PORT

HTTP_TIMEOUT = 30
SAGA_DEADLINE_SECONDS = 60
LOYALTY_DEADLINE_SECONDS = 30


@dataclass
class Trail:
    """A readable record of the walkthrough: what each step expected and what happened."""

    failures: list[str] = field(default_factory=list)
    count: int = 0
    started: float = field(default_factory=time.monotonic)

    def section(self, title: str) -> None:
        print(f"\n== {title}", flush=True)

    def check(self, step: str, ok: bool, outcome: str) -> bool:
        self.count += 1
        print(f"  [{'ok' if ok else 'FAILED'}] {step}: {outcome}", flush=True)
        if not ok:
            self.failures.append(step)
        return ok

    def note(self, text: str) -> None:
        print(f"       {text}", flush=True)


class GraphQLError(RuntimeError):
    pass


def graphql(url: str, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(
        url,
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": token},
        timeout=HTTP_TIMEOUT,
    )
    payload: dict[str, Any] = response.json()
    if payload.get("errors"):
        raise GraphQLError("; ".join(f"{e.get('errorType')}: {e.get('message')}" for e in payload["errors"]))
    data: dict[str, Any] = payload["data"]
    return data


def wait_for(predicate: Callable[[], Any], deadline_seconds: float, interval: float = 0.3) -> Any:
    deadline = time.monotonic() + deadline_seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def sigv4(credentials: Credentials, service: str = "execute-api") -> AWS4Auth:
    return AWS4Auth(
        credentials.access_key_id,
        credentials.secret_access_key,
        REGION,
        service,
        session_token=credentials.session_token,
    )


BOOKING_QUERY = "query($id: ID!) { getBooking(id: $id) { id status amount currency bookingReference } }"
BOOK_MUTATION = (
    "mutation($request: ID!, $flight: ID!, $token: String!) {"
    " processBooking(input: {requestId: $request, flightId: $flight, paymentToken: $token}) { id status } }"
)


def book_variables(flight_id: str, token: str, request_id: str | None = None) -> dict[str, str]:
    """BOOK_MUTATION's variables for one purchase: a new request id unless the attempt repeats one."""
    return {"request": request_id or str(uuid.uuid4()), "flight": flight_id, "token": token}


LOYALTY_QUERY = "{ getLoyalty { points level remainingPoints } }"
SEARCH_QUERY = (
    "query($from: String!, $to: String!, $on: AWSDate!) {"
    " searchFlights(departureAirportCode: $from, arrivalAirportCode: $to, departureDate: $on)"
    " { id flightNumber price currency seatsAvailable } }"
)


@dataclass
class Walkthrough:
    cloud: LocalCloud
    trail: Trail

    @property
    def graphql_url(self) -> str:
        if not self.cloud.endpoints.graphql:
            raise LocalCloudError("the local GraphQL API is not running")
        return self.cloud.endpoints.graphql

    @property
    def loyalty_url(self) -> str:
        if not self.cloud.endpoints.loyalty_api:
            raise LocalCloudError("the local loyalty API is not running")
        return self.cloud.endpoints.loyalty_api

    def run(self) -> None:
        flights = self.deployed_and_seeded()
        customer = self.customer_signed_in()
        flight = self.search(customer, flights["SA101"])
        self.confirmed_booking(customer, flight)
        self.declined_booking(customer, flight)
        self.loyalty_api_refuses_everyone_else(customer)
        self.functions_stay_within_their_grants()

    def deployed_and_seeded(self) -> dict[str, Flight]:
        trail, stack = self.trail, self.cloud.stack
        assert stack is not None
        trail.section("The stack, deployed from template.yaml")
        functions = stack.of_type("AWS::Lambda::Function")
        roles = {resource.properties["Role"] for resource in functions}
        trail.check(
            "deployed",
            len(functions) == len(roles) == 8,
            f"{len(stack.resources)} resources; {len(functions)} functions with {len(roles)} distinct roles",
        )
        trail.note(f"AWS endpoint {self.cloud.endpoints.aws} (IAM enforced on every request)")
        trail.note(f"GraphQL {self.graphql_url}")
        trail.note(f"loyalty API {self.loyalty_url} (AWS_IAM)")
        flights = {flight.flight_number: flight for flight in sample_flights(datetime.now(UTC).date())}
        added = seed(self.cloud.client("dynamodb"), stack.outputs["FlightTableName"], [*flights.values()])
        trail.check("catalog seeded", added == len(flights), f"{added} flights")
        return flights

    def customer_signed_in(self) -> Customer:
        self.trail.section("A customer signs in (Cognito user pool)")
        email = f"traveller-{uuid.uuid4().hex[:8]}@example.com"
        customer = self.cloud.create_customer(email)
        self.trail.check(
            "signed in", bool(customer.id_token), f"{email}: ID token for customer {customer.sub}"
        )
        return customer

    def search(self, customer: Customer, wanted: Flight) -> Flight:
        self.trail.section("Search flights (GraphQL, FlightTable data source, read-only role)")
        found = graphql(
            self.graphql_url,
            customer.id_token,
            SEARCH_QUERY,
            {
                "from": wanted.departure_airport_code,
                "to": wanted.arrival_airport_code,
                "on": wanted.departure_date,
            },
        )["searchFlights"]
        listed = [f"{f['flightNumber']} {f['price'] / 100:.2f} {f['currency']}" for f in found]
        self.trail.check("searchFlights", any(f["id"] == wanted.id for f in found), ", ".join(listed))
        return wanted

    def book(self, customer: Customer, flight: Flight, token: str, expected: str) -> dict[str, Any] | None:
        started = graphql(
            self.graphql_url, customer.id_token, BOOK_MUTATION, book_variables(flight.id, token)
        )
        booking_id = started["processBooking"]["id"]
        self.trail.note(f"processBooking -> {started['processBooking']}")

        def settled() -> dict[str, Any] | None:
            booking = graphql(self.graphql_url, customer.id_token, BOOKING_QUERY, {"id": booking_id})[
                "getBooking"
            ]
            return booking if booking and booking["status"] == expected else None

        booking: dict[str, Any] | None = wait_for(settled, SAGA_DEADLINE_SECONDS)
        return (
            booking
            or graphql(self.graphql_url, customer.id_token, BOOKING_QUERY, {"id": booking_id})["getBooking"]
        )

    def seats(self, flight: Flight) -> int:
        assert self.cloud.stack is not None
        item = self.cloud.client("dynamodb").get_item(
            TableName=self.cloud.stack.outputs["FlightTableName"], Key={"id": {"S": flight.id}}
        )["Item"]
        return int(item["seatsAvailable"]["N"])

    def loyalty(self, customer: Customer) -> dict[str, Any]:
        result: dict[str, Any] = graphql(self.graphql_url, customer.id_token, LOYALTY_QUERY)["getLoyalty"]
        return result

    def confirmed_booking(self, customer: Customer, flight: Flight) -> None:
        trail = self.trail
        trail.section("Book with a good card (processBooking starts the saga under its own role)")
        seats_before = self.seats(flight)
        booking = self.book(customer, flight, "tok_visa", "CONFIRMED")
        trail.check(
            "confirmed",
            booking is not None and booking["status"] == "CONFIRMED" and booking["amount"] == flight.price,
            f"{booking}",
        )
        trail.check("seat taken", self.seats(flight) == seats_before - 1, f"{self.seats(flight)} seats left")
        points = wait_for(
            lambda: (summary := self.loyalty(customer))["points"] == flight.price and summary,
            LOYALTY_DEADLINE_SECONDS,
        )
        trail.check(
            "loyalty via GraphQL",
            bool(points),
            f"{points or self.loyalty(customer)}"
            " (AppSync -> SigV4 as its loyalty role -> REST API -> GetLoyalty)",
        )

    def declined_booking(self, customer: Customer, flight: Flight) -> None:
        trail = self.trail
        trail.section("Book with a declining card (the saga compensates)")
        seats_before = self.seats(flight)
        booking = self.book(customer, flight, "tok_chargeDeclined", "CANCELLED")
        trail.check("cancelled", booking is not None and booking["status"] == "CANCELLED", f"{booking}")
        trail.check("seat released", self.seats(flight) == seats_before, f"{self.seats(flight)} seats left")
        time.sleep(2)  # time for a (wrongly) delivered notice to be credited, were the filter broken
        summary = self.loyalty(customer)
        trail.check("no points for it", summary["points"] == flight.price, f"{summary}")

    def call_loyalty_api(self, customer_id: str, **request: Any) -> requests.Response:
        return requests.get(f"{self.loyalty_url}/loyalty/{customer_id}/get", timeout=HTTP_TIMEOUT, **request)

    def loyalty_api_refuses_everyone_else(self, customer: Customer) -> None:
        trail = self.trail
        trail.section("The loyalty REST API admits AppSync's loyalty role only")

        def refused(step: str, response: requests.Response) -> None:
            message = response.json().get("message", response.text) if response.content else ""
            trail.check(step, response.status_code == 403, f"HTTP {response.status_code} {message[:150]}")

        appsync = self.cloud.role_credentials("LoyaltyDataSourceRole", service="appsync.amazonaws.com")
        allowed = self.call_loyalty_api(customer.sub, auth=sigv4(appsync))
        trail.check(
            "as AppSync's loyalty role",
            allowed.status_code == 200,
            f"HTTP {allowed.status_code} {allowed.text}",
        )
        refused(
            "as the customer (Cognito token)",
            self.call_loyalty_api(customer.sub, headers={"Authorization": customer.id_token}),
        )
        other_role = self.cloud.role_credentials("GetLoyaltyFunctionRole", service="lambda.amazonaws.com")
        refused("as GetLoyalty's own role", self.call_loyalty_api(customer.sub, auth=sigv4(other_role)))
        refused("unsigned", self.call_loyalty_api(customer.sub))
        signed = requests.Request(
            "GET", f"{self.loyalty_url}/loyalty/{customer.sub}/get", auth=sigv4(appsync)
        ).prepare()
        signed.headers["Authorization"] = str(signed.headers["Authorization"])[:-4] + "0000"
        with requests.Session() as session:
            refused("with a tampered signature", session.send(signed, timeout=HTTP_TIMEOUT))

    def functions_stay_within_their_grants(self) -> None:
        trail, stack = self.trail, self.cloud.stack
        assert stack is not None
        trail.section("A function's role cannot act outside its grant")
        credentials = self.cloud.role_credentials("GetLoyaltyFunctionRole", service="lambda.amazonaws.com")
        dynamodb = self.cloud.client("dynamodb", credentials)
        try:
            dynamodb.put_item(
                TableName=stack.outputs["LoyaltyTableName"],
                Item={
                    "customerId": {"S": str(uuid.uuid4())},
                    "sk": {"S": "TOTAL"},
                    "points": {"N": "1000000"},
                },
            )
        except ClientError as error:
            trail.check(
                "GetLoyalty's role writes points",
                error.response["Error"]["Code"] == "AccessDeniedException",
                error.response["Error"]["Message"][:160],
            )
        else:
            trail.check("GetLoyalty's role writes points", False, "the write succeeded")
        try:
            dynamodb.get_item(
                TableName=stack.outputs["PaymentTableName"], Key={"bookingId": {"S": str(uuid.uuid4())}}
            )
        except ClientError as error:
            trail.check(
                "GetLoyalty's role reads payments",
                error.response["Error"]["Code"] == "AccessDeniedException",
                error.response["Error"]["Message"][:160],
            )
        else:
            trail.check("GetLoyalty's role reads payments", False, "the read succeeded")


def main() -> int:
    trail = Trail()
    print("Starting the local cloud (deploying template.yaml)...", flush=True)
    try:
        with LocalCloud().start() as cloud:
            try:
                Walkthrough(cloud, trail).run()
            except (
                GraphQLError,
                requests.RequestException,
                ClientError,
                KeyError,
                json.JSONDecodeError,
            ) as error:
                trail.check("walkthrough", False, f"stopped early: {error}")
    except LocalCloudError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - trail.started
    if trail.failures:
        failed = ", ".join(trail.failures)
        print(f"\n{len(trail.failures)} of {trail.count} checks FAILED: {failed} ({elapsed:.0f}s)")
        return 1
    print(f"\nAll {trail.count} checks passed in {elapsed:.0f}s; the local cloud is stopped.")
    print(
        "\nSee it in a browser: `make local`, then open the web app at "
        f"http://127.0.0.1:{WEB_APP_PORT}/ and watch every decision on the boundary map at "
        f"http://127.0.0.1:{BOUNDARY_MAP_PORT}/"
    )
    return 0
