"""The `Condition` element: operators, set qualifiers, `...IfExists` and missing keys.

Semantics follow the IAM User Guide pages "IAM JSON policy elements: Condition operators",
"Conditions with multiple context keys or values" and "Single-valued vs. multivalued context keys".
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

from iam_eval.patterns import (
    Token,
    UnresolvedVariableError,
    VariableLookup,
    arn_regex,
    glob_regex,
    literal_text,
    tokenize,
)

# A request context value after normalisation: one string, or the strings of a multivalued key.
type RequestValue = str | tuple[str, ...]
type ValueTest = Callable[[str], bool]
type TestFactory = Callable[[tuple[Token, ...]], ValueTest]


class _Family(Enum):
    STRING = "string"
    NUMERIC = "numeric"
    DATE = "date"
    BOOL = "bool"
    BINARY = "binary"
    IP_ADDRESS = "ip_address"
    ARN = "arn"
    NULL = "null"

    @property
    def takes_policy_variables(self) -> bool:
        # IAM User Guide, "Where you can use policy variables": string and ARN operators; the
        # condition operators page lists Boolean as supporting them too.
        return self in {_Family.STRING, _Family.ARN, _Family.BOOL}


class SetQualifier(Enum):
    """The `ForAllValues:` and `ForAnyValue:` prefixes for multivalued context keys."""

    FOR_ALL_VALUES = "ForAllValues"
    FOR_ANY_VALUE = "ForAnyValue"


@dataclass(frozen=True, slots=True)
class Operator:
    """A parsed condition operator such as `ForAnyValue:StringNotLikeIfExists`."""

    family: _Family
    make_test: TestFactory
    negated: bool
    if_exists: bool
    qualifier: SetQualifier | None


def _parse_number(text: str) -> Decimal:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    return number


_EPOCH_SECONDS = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")


def _parse_date(text: str) -> datetime:
    """An ISO 8601 date/time or epoch seconds; a time without an offset is taken as UTC."""
    try:
        if _EPOCH_SECONDS.match(text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"{text!r} is neither an ISO 8601 date/time nor epoch seconds") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _string_equals(tokens: tuple[Token, ...]) -> ValueTest:
    expected = literal_text(tokens)
    return lambda value: value == expected


def _string_equals_ignore_case(tokens: tuple[Token, ...]) -> ValueTest:
    expected = literal_text(tokens).casefold()
    return lambda value: value.casefold() == expected


def _string_like(tokens: tuple[Token, ...]) -> ValueTest:
    pattern = glob_regex(tokens, ignore_case=False)
    return lambda value: pattern.fullmatch(value) is not None


def _arn_like(tokens: tuple[Token, ...]) -> ValueTest:
    pattern = arn_regex(tokens)
    return lambda value: pattern.fullmatch(value) is not None


def _numeric(compare: Callable[[Decimal, Decimal], bool]) -> TestFactory:
    def factory(tokens: tuple[Token, ...]) -> ValueTest:
        bound = _parse_number(literal_text(tokens))
        return lambda value: compare(_parse_number(value), bound)

    return factory


def _date(compare: Callable[[datetime, datetime], bool]) -> TestFactory:
    def factory(tokens: tuple[Token, ...]) -> ValueTest:
        bound = _parse_date(literal_text(tokens))
        return lambda value: compare(_parse_date(value), bound)

    return factory


def _bool(tokens: tuple[Token, ...]) -> ValueTest:
    expected = literal_text(tokens).strip().lower()
    if expected not in {"true", "false"}:
        raise ValueError(f"{literal_text(tokens)!r} is not true or false")
    return lambda value: value.strip().lower() == expected


def _decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ValueError(f"{text!r} is not base64") from None


def _binary_equals(tokens: tuple[Token, ...]) -> ValueTest:
    expected = _decode_base64(literal_text(tokens))
    return lambda value: _decode_base64(value) == expected


def _ip_address(tokens: tuple[Token, ...]) -> ValueTest:
    # A bare address is a /32 (or /128) network: "If you specify an IP address without the
    # associated routing prefix, IAM uses the default prefix value of /32".
    network = ipaddress.ip_network(literal_text(tokens).strip(), strict=False)
    return lambda value: ipaddress.ip_address(value.strip()) in network


def _never(tokens: tuple[Token, ...]) -> ValueTest:
    # Null compares presence, not values; see ConditionClause.holds.
    return _matches_nothing


def _matches_nothing(value: str) -> bool:
    return False


# Base operators, by lower-case name: family, value test of the positive form, negated or not.
_BASE_OPERATORS: Mapping[str, tuple[_Family, TestFactory, bool]] = {
    "stringequals": (_Family.STRING, _string_equals, False),
    "stringnotequals": (_Family.STRING, _string_equals, True),
    "stringequalsignorecase": (_Family.STRING, _string_equals_ignore_case, False),
    "stringnotequalsignorecase": (_Family.STRING, _string_equals_ignore_case, True),
    "stringlike": (_Family.STRING, _string_like, False),
    "stringnotlike": (_Family.STRING, _string_like, True),
    "numericequals": (_Family.NUMERIC, _numeric(operator.eq), False),
    "numericnotequals": (_Family.NUMERIC, _numeric(operator.eq), True),
    "numericlessthan": (_Family.NUMERIC, _numeric(operator.lt), False),
    "numericlessthanequals": (_Family.NUMERIC, _numeric(operator.le), False),
    "numericgreaterthan": (_Family.NUMERIC, _numeric(operator.gt), False),
    "numericgreaterthanequals": (_Family.NUMERIC, _numeric(operator.ge), False),
    "dateequals": (_Family.DATE, _date(operator.eq), False),
    "datenotequals": (_Family.DATE, _date(operator.eq), True),
    "datelessthan": (_Family.DATE, _date(operator.lt), False),
    "datelessthanequals": (_Family.DATE, _date(operator.le), False),
    "dategreaterthan": (_Family.DATE, _date(operator.gt), False),
    "dategreaterthanequals": (_Family.DATE, _date(operator.ge), False),
    "bool": (_Family.BOOL, _bool, False),
    "binaryequals": (_Family.BINARY, _binary_equals, False),
    "ipaddress": (_Family.IP_ADDRESS, _ip_address, False),
    "notipaddress": (_Family.IP_ADDRESS, _ip_address, True),
    # "The ArnEquals and ArnLike condition operators behave identically", and so do the negations.
    "arnequals": (_Family.ARN, _arn_like, False),
    "arnlike": (_Family.ARN, _arn_like, False),
    "arnnotequals": (_Family.ARN, _arn_like, True),
    "arnnotlike": (_Family.ARN, _arn_like, True),
    "null": (_Family.NULL, _never, False),
}

_IF_EXISTS = "ifexists"


def parse_operator(name: str) -> Operator | None:
    """The operator a Condition block names, or None when IAM has no such operator.

    Operator names are compared without regard to case: accepting a spelling IAM might refuse can
    only make a policy that IAM would not store evaluate, whereas refusing one it accepts would
    silently drop a Deny.
    """
    remainder = name
    qualifier: SetQualifier | None = None
    for candidate in SetQualifier:
        prefix = f"{candidate.value}:"
        if remainder.lower().startswith(prefix.lower()):
            qualifier = candidate
            remainder = remainder[len(prefix) :]
            break
    if_exists = remainder.lower().endswith(_IF_EXISTS) and len(remainder) > len(_IF_EXISTS)
    if if_exists:
        remainder = remainder[: -len(_IF_EXISTS)]
    base = _BASE_OPERATORS.get(remainder.lower())
    if base is None:
        return None
    family, make_test, negated = base
    # "You can add IfExists to the end of any condition operator name except the Null condition";
    # Null checks presence of the key as a whole, so a set qualifier has no meaning either.
    if family is _Family.NULL and (if_exists or qualifier is not None):
        return None
    return Operator(
        family=family, make_test=make_test, negated=negated, if_exists=if_exists, qualifier=qualifier
    )


@dataclass(frozen=True, slots=True)
class UnresolvedValue:
    """A policy value of a clause that names a policy variable without a value."""

    value: str
    variable: str


@dataclass(frozen=True, slots=True)
class PreparedValues:
    """The policy values of a clause as tests, policy variables resolved.

    Attributes:
        tests: one test per policy value, in order.
        unresolved: the values whose test matches nothing because a variable in them has no value.
    """

    tests: tuple[ValueTest, ...]
    unresolved: tuple[UnresolvedValue, ...]


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One `operator: {key: values}` entry of a Condition block."""

    operator_name: str
    operator: Operator | None
    key: str
    values: tuple[str, ...]

    def prepare(self, lookup: VariableLookup | None) -> PreparedValues:
        """One test per policy value, with policy variables resolved through `lookup`.

        A value naming a variable without a value gets a test that matches nothing. IAM User
        Guide, "Policy variables with no value": the variable's "value is effectively null. There
        is no equal or like value." So that one value fails while the others for the same key
        still match (they are ORed); and since the negated operators are the negation of that
        match, "Inverted condition operators like StringNotEquals or StringNotLike do match
        against a null value". Must not be called for an unknown operator.
        """
        if self.operator is None:
            raise ValueError(f"unknown condition operator {self.operator_name!r}")
        variables = lookup if self.operator.family.takes_policy_variables else None
        tests: list[ValueTest] = []
        unresolved: list[UnresolvedValue] = []
        for value in self.values:
            try:
                tokens = tokenize(value, variables)
            except UnresolvedVariableError as error:
                tests.append(_matches_nothing)
                unresolved.append(UnresolvedValue(value=value, variable=error.variable))
            else:
                tests.append(self.operator.make_test(tokens))
        return PreparedValues(tests=tuple(tests), unresolved=tuple(unresolved))

    def holds(self, request_value: RequestValue | None, tests: tuple[ValueTest, ...]) -> bool:
        """Whether this clause is true for the request's value of the key (None: key absent)."""
        op = self.operator
        if op is None:
            raise ValueError(f"unknown condition operator {self.operator_name!r}")
        values = _as_values(request_value)
        if op.family is _Family.NULL:
            # "true (the key doesn't exist - it is null) or false (the key exists and its value is
            # not null)"; several values are ORed like any other condition values.
            key_is_absent = not values
            return any((value.strip().lower() == "true") == key_is_absent for value in self.values)
        if op.qualifier is not None and values == ("",):
            # "If the key values in the request resolve to an empty data set (for example, an
            # empty string), a condition operator modified by ForAllValues returns true, and a
            # condition operator modified by ForAnyValue returns false."
            values = ()
        if not values:
            return self._holds_for_absent_key(op)

        def satisfies(value: str) -> bool:
            # Several values for one key are ORed; for a negated operator they are NORed ("If a
            # single negated matching condition operator includes multiple values for a context
            # key, those values are evaluated using a logical NOR").
            return any(test(value) for test in tests) != op.negated

        if op.qualifier is SetQualifier.FOR_ALL_VALUES:
            return all(satisfies(value) for value in values)
        if op.qualifier is SetQualifier.FOR_ANY_VALUE:
            return any(satisfies(value) for value in values)
        # Without a set qualifier a multivalued request value matches when any of its values
        # does; the negated operator is the exact negation of that.
        matched = any(test(value) for value in values for test in tests)
        return matched != op.negated

    @staticmethod
    def _holds_for_absent_key(op: Operator) -> bool:
        if op.if_exists:
            # "If the key is not present, evaluate the condition element as true."
            return True
        if op.qualifier is SetQualifier.FOR_ALL_VALUES:
            # ForAllValues "also returns true if there are no context keys in the request".
            return True
        if op.qualifier is SetQualifier.FOR_ANY_VALUE:
            return False
        # IAM User Guide, Condition operators: "If the key that you specify in a policy condition
        # is not present in the request context, the values do not match and the condition is
        # false. If the policy condition requires that the key is not matched, such as
        # StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
        return op.negated


def _as_values(request_value: RequestValue | None) -> tuple[str, ...]:
    if request_value is None:
        return ()
    if isinstance(request_value, str):
        return (request_value,)
    return request_value


def parse_condition_block(block: object, *, variables_enabled: bool) -> tuple[ConditionClause, ...]:
    """Check the shape of a Condition element and return its clauses.

    Raises ValueError for a malformed block or for a value the operator cannot interpret (a
    number that is not a number, an address that is not an address ...). An unknown operator is
    not an error here: it makes the statement not apply when evaluated, and is reported then.
    """
    if not isinstance(block, Mapping):
        raise ValueError("Condition must be an object of operators")
    clauses: list[ConditionClause] = []
    for operator_name, keys in block.items():
        if not isinstance(operator_name, str):
            raise ValueError(f"condition operator {operator_name!r} is not a string")
        if not isinstance(keys, Mapping) or not keys:
            raise ValueError(f"condition operator {operator_name!r} must map condition keys to values")
        parsed_operator = parse_operator(operator_name)
        for key, raw_values in keys.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"condition key {key!r} under {operator_name!r} is not a string")
            values = _condition_values(raw_values, operator_name, key)
            if parsed_operator is not None:
                _check_values(
                    parsed_operator, values, operator_name, key, variables_enabled=variables_enabled
                )
            clauses.append(
                ConditionClause(operator_name=operator_name, operator=parsed_operator, key=key, values=values)
            )
    return tuple(clauses)


def _condition_values(raw: object, operator_name: str, key: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ValueError(f"condition {operator_name!r} on {key!r} has no values")
    values: list[str] = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            values.append(str(item))
        else:
            raise ValueError(
                f"condition {operator_name!r} on {key!r} has a value that is not a scalar: {item!r}"
            )
    return tuple(values)


def _check_values(
    parsed: Operator, values: tuple[str, ...], operator_name: str, key: str, *, variables_enabled: bool
) -> None:
    for value in values:
        if parsed.family is _Family.NULL:
            if value.strip().lower() not in {"true", "false"}:
                raise ValueError(f"Null condition on {key!r} takes true or false, not {value!r}")
            continue
        if variables_enabled and parsed.family.takes_policy_variables and "${" in value:
            continue  # only known once the variables are resolved
        try:
            parsed.make_test(tokenize(value, None))
        except ValueError as error:
            raise ValueError(f"condition {operator_name!r} on {key!r}: {error}") from None
