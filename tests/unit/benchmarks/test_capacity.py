"""DynamoDB's documented item-size and request-unit rules, as the suite applies them."""

from __future__ import annotations

import base64

import pytest

from benchmarks.capacity import item_size, number_size, projected, read_units, value_size, write_units


def test_strings_count_their_utf8_bytes_and_names_count_too() -> None:
    assert item_size({"id": {"S": "abc"}}) == 2 + 3
    assert item_size({"name": {"S": "é"}}) == 4 + 2


@pytest.mark.parametrize(
    ("number", "size"),
    [("1", 2), ("12", 2), ("123", 3), ("12900", 3), ("0.5", 2), ("1000000", 2), ("0", 2), ("-12.34", 3)],
)
def test_numbers_take_a_byte_per_two_significant_digits_plus_one(number: str, size: int) -> None:
    assert number_size(number) == size


def test_binary_counts_its_raw_bytes_not_its_base64() -> None:
    assert value_size({"B": base64.b64encode(b"12345").decode()}) == 5


def test_booleans_and_null_take_one_byte() -> None:
    assert value_size({"BOOL": True}) == 1
    assert value_size({"NULL": True}) == 1


def test_lists_and_maps_take_three_bytes_plus_one_per_element() -> None:
    assert value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 3 + (1 + 2) + (1 + 2)
    assert value_size({"M": {"k": {"S": "ab"}}}) == 3 + (1 + 1 + 2)
    assert value_size({"L": []}) == 3


def test_sets_are_the_sum_of_their_elements() -> None:
    assert value_size({"SS": ["a", "bc"]}) == 3
    assert value_size({"NS": ["1", "123"]}) == 2 + 3


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="not a DynamoDB attribute type"):
        value_size({"X": "?"})


@pytest.mark.parametrize(
    ("size", "consistent", "transactional", "units"),
    [
        (0, False, False, 0.5),
        (100, False, False, 0.5),
        (100, True, False, 1.0),
        (4096, True, False, 1.0),
        (4097, True, False, 2.0),
        (8 * 1024, False, False, 1.0),
        (100, True, True, 2.0),
    ],
)
def test_reads_cost_per_4_kb_halved_when_eventually_consistent(
    size: int, consistent: bool, transactional: bool, units: float
) -> None:
    assert read_units(size, consistent=consistent, transactional=transactional) == units


@pytest.mark.parametrize(
    ("size", "transactional", "units"),
    [(0, False, 1.0), (1024, False, 1.0), (1025, False, 2.0), (3 * 1024, False, 3.0), (3 * 1024, True, 6.0)],
)
def test_writes_cost_per_1_kb_doubled_in_a_transaction(size: int, transactional: bool, units: float) -> None:
    assert write_units(size, transactional=transactional) == units


ITEM = {"id": {"S": "b1"}, "customerId": {"S": "c1"}, "createdAt": {"S": "2030"}, "status": {"S": "OK"}}


def test_an_index_stores_the_whole_item_when_it_projects_all() -> None:
    assert projected(ITEM, ("id", "customerId", "createdAt"), {"ProjectionType": "ALL"}) == ITEM


def test_an_index_stores_only_keys_and_included_attributes_otherwise() -> None:
    keys = ("id", "customerId", "createdAt")
    assert projected(ITEM, keys, {"ProjectionType": "KEYS_ONLY"}) == {name: ITEM[name] for name in keys}
    assert projected(ITEM, keys, {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]}) == ITEM


def test_an_item_without_the_index_keys_is_not_in_the_index() -> None:
    assert projected(ITEM, ("id", "route"), {"ProjectionType": "ALL"}) is None
