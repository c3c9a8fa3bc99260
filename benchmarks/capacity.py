"""DynamoDB on-demand request units, computed from item sizes by DynamoDB's documented rules.

Neither the application nor the local cloud asks DynamoDB for its consumed capacity (moto would answer
with a constant anyway), so the suite computes it:

* item size (Developer Guide, "DynamoDB item sizes and formats"): the UTF-8 length of each attribute
  name plus its value - strings by their UTF-8 bytes, numbers 1 byte per two significant digits plus 1,
  binary by its raw bytes, null and booleans 1 byte, lists and maps 3 bytes plus 1 byte per element
  plus their elements, sets the sum of their elements;
* reads (RRU): a strongly consistent read of up to 4 KB is 1 unit, eventually consistent half of it,
  transactional twice; a Query sums the sizes of the items it reads before rounding up to 4 KB;
* writes (WRU): 1 unit per 1 KB of the larger of the item before and after the write, transactional
  twice; a write also writes each global secondary index whose keys the item has.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

AttributeValue = Mapping[str, Any]
"""DynamoDB's wire format for one value: ``{"S": "text"}``, ``{"N": "12"}``, ``{"M": {...}}``..."""
Item = Mapping[str, AttributeValue]

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024


def item_size(item: Item) -> int:
    """The size DynamoDB bills an item at, in bytes."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def value_size(value: AttributeValue) -> int:
    """The size of one value, without its attribute name."""
    if len(value) != 1:
        raise ValueError(f"an attribute value has exactly one type, not {sorted(value)}")
    [(kind, content)] = value.items()
    if kind in _SCALAR_SIZES:
        return _SCALAR_SIZES[kind](content)
    if kind in _SET_ELEMENT_TYPES:
        element_size = _SCALAR_SIZES[_SET_ELEMENT_TYPES[kind]]
        return sum(element_size(element) for element in content)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(v) for name, v in content.items())
    raise ValueError(f"not a DynamoDB attribute type: {kind}")


def number_size(text: str) -> int:
    """1 byte per two significant digits (leading and trailing zeros trimmed), plus 1."""
    digits = Decimal(text).normalize().as_tuple().digits
    significant = len(digits) if any(digits) else 1
    return math.ceil(significant / 2) + 1


def read_units(size_bytes: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read request units of reading ``size_bytes`` (one item, or a Query's items summed)."""
    blocks = max(1, math.ceil(size_bytes / READ_UNIT_BYTES))
    if transactional:
        return 2.0 * blocks
    return float(blocks) if consistent else blocks / 2


def write_units(size_bytes: int, *, transactional: bool = False) -> float:
    """Write request units of writing an item of ``size_bytes`` (the larger of before and after)."""
    blocks = max(1, math.ceil(size_bytes / WRITE_UNIT_BYTES))
    return 2.0 * blocks if transactional else float(blocks)


def projected(item: Item, key_attributes: Iterable[str], projection: Mapping[str, Any]) -> Item | None:
    """What a global secondary index stores of ``item``; None if the item lacks the index's keys."""
    keys = list(key_attributes)
    if any(name not in item for name in keys):
        return None
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return item
    kept = set(keys) | (set(projection.get("NonKeyAttributes", [])) if kind == "INCLUDE" else set())
    return {name: value for name, value in item.items() if name in kept}


_SCALAR_SIZES: dict[str, Callable[[Any], int]] = {
    "S": lambda content: len(str(content).encode("utf-8")),
    "N": lambda content: number_size(str(content)),
    "B": lambda content: len(_raw_bytes(content)),
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
}
_SET_ELEMENT_TYPES = {"SS": "S", "NS": "N", "BS": "B"}


def _raw_bytes(content: Any) -> bytes:
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    return base64.b64decode(str(content))  # the wire format carries binary as base64
