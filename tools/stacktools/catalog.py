"""The flight catalog: sample flights and the seed command that loads them into a stack.

    python -m stacktools.catalog --stack-name airline-dev            # a deployed stack
    python -m stacktools.catalog --table-name T --endpoint-url URL    # any table, e.g. the local cloud

Seeding is idempotent: a flight that already exists is left as it is (its seats are not reset).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from stacktools.template import REPOSITORY_ROOT

CATALOG_PATH = REPOSITORY_ROOT / "data" / "flights.json"


@dataclass(frozen=True)
class Flight:
    id: str
    flight_number: str
    departure_airport_code: str
    arrival_airport_code: str
    departure_date: str
    departure_date_time: str
    arrival_date_time: str
    price: int
    currency: str
    seat_capacity: int

    def to_item(self) -> dict[str, dict[str, Any]]:
        return {
            "id": {"S": self.id},
            "flightNumber": {"S": self.flight_number},
            "departureAirportCode": {"S": self.departure_airport_code},
            "arrivalAirportCode": {"S": self.arrival_airport_code},
            "route": {"S": route_key(self.departure_airport_code, self.arrival_airport_code)},
            "departureDate": {"S": self.departure_date},
            "departureDateTime": {"S": self.departure_date_time},
            "arrivalDateTime": {"S": self.arrival_date_time},
            "price": {"N": str(self.price)},
            "currency": {"S": self.currency},
            "seatCapacity": {"N": str(self.seat_capacity)},
            "seatsAvailable": {"N": str(self.seat_capacity)},
        }


def route_key(departure: str, arrival: str) -> str:
    """The flight table's ``byRoute`` index key (the GraphQL search resolver builds the same)."""
    return f"{departure}#{arrival}"


def sample_flights(today: date, path: Path = CATALOG_PATH) -> list[Flight]:
    entries = json.loads(path.read_text(encoding="utf-8"))["flights"]
    flights = []
    for entry in entries:
        day = today + timedelta(days=int(entry["departsInDays"]))
        hour, minute = (int(part) for part in entry["departureTime"].split(":"))
        departs = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
        arrives = departs + timedelta(minutes=int(entry["durationMinutes"]))
        flights.append(
            Flight(
                id=f"{entry['flightNumber']}-{day.isoformat()}",
                flight_number=entry["flightNumber"],
                departure_airport_code=entry["departureAirportCode"],
                arrival_airport_code=entry["arrivalAirportCode"],
                departure_date=day.isoformat(),
                departure_date_time=departs.isoformat(),
                arrival_date_time=arrives.isoformat(),
                price=int(entry["price"]),
                currency=entry["currency"],
                seat_capacity=int(entry["seatCapacity"]),
            )
        )
    return flights


def seed(client: Any, table_name: str, flights: list[Flight]) -> int:
    """Put each flight unless it exists. Returns how many were added."""
    added = 0
    for flight in flights:
        try:
            client.put_item(
                TableName=table_name,
                Item=flight.to_item(),
                ConditionExpression="attribute_not_exists(id)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            continue
        added += 1
    return added


def flight_table_of_stack(stack_name: str, cloudformation: Any) -> str:
    outputs = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == "FlightTableName":
            return str(output["OutputValue"])
    raise LookupError(f"stack {stack_name} has no FlightTableName output")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load the sample flight catalog into a stack.")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--stack-name", help="a deployed stack; its FlightTableName output is used")
    target.add_argument("--table-name", help="the flight table's name")
    parser.add_argument("--region", help="AWS region (default: from your AWS configuration)")
    parser.add_argument("--endpoint-url", help="e.g. the local cloud's AWS endpoint")
    args = parser.parse_args(argv)

    session = boto3.Session(region_name=args.region)
    try:
        table_name = args.table_name or flight_table_of_stack(
            args.stack_name, session.client("cloudformation", endpoint_url=args.endpoint_url)
        )
        flights = sample_flights(datetime.now(UTC).date())
        added = seed(session.client("dynamodb", endpoint_url=args.endpoint_url), table_name, flights)
    except (BotoCoreError, ClientError, LookupError) as error:
        print(f"seeding failed: {error}", file=sys.stderr)
        return 1
    print(f"{table_name}: {added} flight(s) added, {len(flights) - added} already present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
