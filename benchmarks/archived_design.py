"""The archived sample's loyalty read, kept here only as a comparison: it summed the customer's ledger
with a Query on every read, so the cost of a read grew with the customer's history.

It runs on the same table shape as the application's ledger (``loyalty.repository``): one item per
credited booking, ``(customerId, "BOOKING#<bookingId>")`` with its ``points``, and the running total
``(customerId, "TOTAL")`` that the application reads instead. (The archived code also read only the
first page of the Query, so long histories came out wrong; this version reads every page, which is
the fair comparison.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from benchmarks.capacity import item_size, read_units

BOOKING_PREFIX = "BOOKING#"
TOTAL_KEY = "TOTAL"
BATCH_WRITE_LIMIT = 25


@dataclass(frozen=True)
class LedgerRead:
    points: int
    calls: int
    items_read: int
    read_units: float


def seed_history(client: Any, table: str, customer_id: str, bookings: int, points_each: int) -> int:
    """Write ``bookings`` ledger entries and their total, as the ingest function would have. Returns
    the total."""
    now = datetime.now(UTC).isoformat()
    items = [
        {
            "customerId": {"S": customer_id},
            "sk": {"S": f"{BOOKING_PREFIX}{uuid.uuid4()}"},
            "points": {"N": str(points_each)},
            "creditedAt": {"S": now},
        }
        for _ in range(bookings)
    ]
    total = bookings * points_each
    items.append(
        {
            "customerId": {"S": customer_id},
            "sk": {"S": TOTAL_KEY},
            "points": {"N": str(total)},
            "updatedAt": {"S": now},
        }
    )
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_LIMIT]]
        pending: dict[str, Any] = {table: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return total


def remove_history(client: Any, table: str, customer_id: str) -> None:
    """Delete every item of the customer, so the table is left as the application's flows made it (moto
    copies a whole table for each transaction, so ten thousand extra items slow the ingest down)."""
    arguments: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "customerId = :customer",
        "ExpressionAttributeValues": {":customer": {"S": customer_id}},
        "ProjectionExpression": "customerId, sk",
    }
    while True:
        page = client.query(**arguments)
        keys = page.get("Items", [])
        for start in range(0, len(keys), BATCH_WRITE_LIMIT):
            batch = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_WRITE_LIMIT]]
            pending: dict[str, Any] = {table: batch}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if "LastEvaluatedKey" not in page:
            return
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def points_by_query(client: Any, table: str, customer_id: str) -> LedgerRead:
    """The archived design: sum every ledger entry of the customer, page by page (eventually
    consistent, as a Query is by default)."""
    points = calls = items_read = 0
    units = 0.0
    arguments: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "customerId = :customer AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":customer": {"S": customer_id}, ":prefix": {"S": BOOKING_PREFIX}},
    }
    while True:
        page = client.query(**arguments)
        calls += 1
        items = page.get("Items", [])
        items_read += len(items)
        units += read_units(sum(item_size(item) for item in items), consistent=False)
        points += sum(int(item["points"]["N"]) for item in items)
        if "LastEvaluatedKey" not in page:
            return LedgerRead(points=points, calls=calls, items_read=items_read, read_units=units)
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
