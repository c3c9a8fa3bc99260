"""DynamoDB's fine-grained access control keys as the local cloud computes them from a request."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.dynamodb_conditions import batch_context, expression_attributes, item_context

TABLE_KEYS = {
    ("Bookings", None): "id",
    ("Bookings", "byCustomer"): "customerId",
    ("Ledger", None): "customerId",
}


def key_schema(table: str, index: str | None) -> str | None:
    return TABLE_KEYS.get((table, index))


@pytest.mark.parametrize(
    ("expression", "names", "expected"),
    [
        ("SET a = :v", {}, {"a"}),
        ("SET #s = :v, b = if_not_exists(b, :now)", {"#s": "status"}, {"status", "b"}),
        # Functions and keywords are not attributes, and a longer word is not cut at a function name.
        ("attribute_not_exists(id) OR size(tags) BETWEEN :a AND :b", {}, {"id", "tags"}),
        (
            "#s IN (:a, :b) AND NOT contains(reservedBookings, :c)",
            {"#s": "status"},
            {"status", "reservedBookings"},
        ),
        # Of a document path, only the top-level attribute counts.
        (
            "SET address.city = :c, #p.#q[2] = :d REMOVE items[0]",
            {"#p": "prefs", "#q": "x"},
            {"address", "prefs", "items"},
        ),
        ("ADD points :p SET updatedAt = :now DELETE tags :t", {}, {"points", "updatedAt", "tags"}),
        ("points, creditedAt", {}, {"points", "creditedAt"}),
    ],
)
def test_expression_attributes_are_the_top_level_names(
    expression: str, names: dict[str, str], expected: set[str]
) -> None:
    assert expression_attributes(expression, names) == expected


def test_an_update_names_its_key_and_every_attribute_of_its_expressions() -> None:
    body: dict[str, Any] = {
        "Key": {"id": {"S": "b-1"}},
        "UpdateExpression": "SET customerId = :attacker",
        "ConditionExpression": "attribute_exists(id)",
        "ExpressionAttributeValues": {":attacker": {"S": "someone"}},
    }

    context = item_context("UpdateItem", body, "Bookings", key_schema)

    assert context == {
        "dynamodb:Attributes": ["customerId", "id"],
        "dynamodb:ReturnValues": "NONE",
        "dynamodb:LeadingKeys": ["b-1"],
    }


def test_a_put_names_the_items_attributes_and_its_return_values() -> None:
    body = {"Item": {"id": {"S": "b-1"}, "amount": {"N": "1"}}, "ReturnValues": "ALL_OLD"}

    context = item_context("PutItem", body, "Bookings", key_schema)

    assert context["dynamodb:Attributes"] == ["amount", "id"]
    assert context["dynamodb:ReturnValues"] == "ALL_OLD"


def test_legacy_parameters_name_attributes_too() -> None:
    body = {
        "Key": {"id": {"S": "b-1"}},
        "AttributeUpdates": {"customerId": {"Value": {"S": "x"}, "Action": "PUT"}},
        "Expected": {"status": {"Exists": True}},
    }

    assert item_context("UpdateItem", body, "Bookings", key_schema)["dynamodb:Attributes"] == [
        "customerId",
        "id",
        "status",
    ]


@pytest.mark.parametrize(
    ("operation", "body", "select"),
    [
        ("GetItem", {"Key": {"id": {"S": "b"}}}, "ALL_ATTRIBUTES"),
        ("GetItem", {"Key": {"id": {"S": "b"}}, "ProjectionExpression": "points"}, "SPECIFIC_ATTRIBUTES"),
        ("Scan", {}, "ALL_ATTRIBUTES"),
        ("Query", {"IndexName": "byCustomer"}, "ALL_PROJECTED_ATTRIBUTES"),
        ("Query", {"Select": "COUNT"}, "COUNT"),
    ],
)
def test_reads_say_what_they_select(operation: str, body: dict[str, Any], select: str) -> None:
    context = item_context(operation, body, "Bookings", key_schema)

    assert context["dynamodb:Select"] == select
    assert "dynamodb:ReturnValues" not in context


def test_a_query_leads_with_its_partition_keys_equality() -> None:
    body = {
        "IndexName": "byCustomer",
        "KeyConditionExpression": "#c = :me AND createdAt > :since",
        "ExpressionAttributeNames": {"#c": "customerId"},
        "ExpressionAttributeValues": {":me": {"S": "cust-1"}, ":since": {"S": "2030"}},
    }

    context = item_context("Query", body, "Bookings", key_schema)

    assert context["dynamodb:LeadingKeys"] == ["cust-1"]
    assert context["dynamodb:Attributes"] == ["createdAt", "customerId"]


def test_a_scan_has_no_leading_keys() -> None:
    assert "dynamodb:LeadingKeys" not in item_context("Scan", {}, "Bookings", key_schema)


def test_a_transaction_item_has_no_return_values() -> None:
    body = {
        "Key": {"customerId": {"S": "c"}, "sk": {"S": "TOTAL"}},
        "UpdateExpression": "ADD points :p",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }

    context = item_context("UpdateItem", body, "Ledger", key_schema, in_transaction=True)

    assert context == {"dynamodb:Attributes": ["customerId", "points", "sk"], "dynamodb:LeadingKeys": ["c"]}


def test_a_batch_write_names_every_items_attributes_and_keys() -> None:
    requests = [
        {"PutRequest": {"Item": {"customerId": {"S": "a"}, "sk": {"S": "TOTAL"}, "points": {"N": "1"}}}},
        {"DeleteRequest": {"Key": {"customerId": {"S": "b"}, "sk": {"S": "TOTAL"}}}},
    ]

    context = batch_context("BatchWriteItem", requests, "Ledger", key_schema)

    assert context == {
        "dynamodb:Attributes": ["customerId", "points", "sk"],
        "dynamodb:LeadingKeys": ["a", "b"],
    }


def test_a_batch_get_names_its_keys_and_projection() -> None:
    requests = {"Keys": [{"id": {"S": "x"}}, {"id": {"S": "y"}}], "ProjectionExpression": "amount"}

    context = batch_context("BatchGetItem", requests, "Bookings", key_schema)

    assert context == {
        "dynamodb:Select": "SPECIFIC_ATTRIBUTES",
        "dynamodb:Attributes": ["amount", "id"],
        "dynamodb:LeadingKeys": ["x", "y"],
    }
