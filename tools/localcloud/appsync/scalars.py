"""AppSync's own scalars (AWSDate, AWSDateTime, AWSJSON...), checked as AppSync documents them.

AppSync defines these itself (a schema must not declare them), so the local schema declares them
before building and then gives each its validation. A value that does not conform is refused on the
way in (an argument or variable) and on the way out (a resolver's result), as in AppSync.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLError, GraphQLScalarType, GraphQLSchema

# Extended ISO 8601, as AppSync documents: a time zone offset is "Z" or +/-hh:mm, with optional seconds.
_OFFSET = r"(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)"
_DATE = r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
_TIME = r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d{1,9})?)?"
_AWS_DATE = re.compile(rf"^{_DATE}{_OFFSET}?$")
_AWS_TIME = re.compile(rf"^{_TIME}{_OFFSET}?$")
# A date and time must carry its offset: AppSync refuses a local time without one.
_AWS_DATE_TIME = re.compile(rf"^{_DATE}T{_TIME}{_OFFSET}$")
_AWS_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Digits in groups separated by spaces, hyphens, dots or parentheses, with an optional "+" country code.
_AWS_PHONE = re.compile(r"^\+?[0-9 ().-]+$")
_PHONE_DIGITS = range(5, 16)


def _valid_date(match: re.Match[str]) -> bool:
    try:
        date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return False
    return True


def _valid_time(match: re.Match[str]) -> bool:
    second = match["second"]
    return int(match["hour"]) < 24 and int(match["minute"]) < 60 and (second is None or int(second) < 60)


def _aws_date(value: str) -> bool:
    match = _AWS_DATE.match(value)
    return match is not None and _valid_date(match)


def _aws_time(value: str) -> bool:
    match = _AWS_TIME.match(value)
    return match is not None and _valid_time(match)


def _aws_date_time(value: str) -> bool:
    match = _AWS_DATE_TIME.match(value)
    return match is not None and _valid_date(match) and _valid_time(match)


def _aws_phone(value: str) -> bool:
    return _AWS_PHONE.match(value) is not None and sum(char.isdigit() for char in value) in _PHONE_DIGITS


def _aws_url(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme == "mailto")


def _aws_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _string_scalar(name: str, valid: Callable[[str], bool], what: str) -> Callable[[Any], str]:
    def coerce(value: Any) -> str:
        if not isinstance(value, str) or not valid(value):
            raise GraphQLError(f"{name}: {value!r} is not {what}")
        return value

    return coerce


def _timestamp(value: Any) -> int:
    # Seconds since the epoch; a boolean is not a number here, though Python says it is.
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError(f"AWSTimestamp: {value!r} is not a whole number of seconds since the epoch")
    return value


def _json_output(value: Any) -> str:
    """A resolver may give an AWSJSON field any JSON value; the response carries it as a string."""
    if isinstance(value, str):
        _json_input(value)
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as error:
        raise GraphQLError(f"AWSJSON: the value cannot be written as JSON ({error})") from error


def _json_input(value: Any) -> Any:
    """An AWSJSON argument is a string of JSON; resolvers receive the parsed value."""
    if not isinstance(value, str):
        raise GraphQLError(f"AWSJSON: {value!r} is not a string of JSON")
    try:
        return json.loads(value)
    except ValueError as error:
        raise GraphQLError(f"AWSJSON: the string is not valid JSON ({error})") from error


_STRING_SCALARS: dict[str, tuple[Callable[[str], bool], str]] = {
    "AWSDate": (_aws_date, "an extended ISO 8601 date (YYYY-MM-DD, optionally with a time zone offset)"),
    "AWSTime": (_aws_time, "an extended ISO 8601 time (hh:mm:ss.sss, optionally with a time zone offset)"),
    "AWSDateTime": (_aws_date_time, "an extended ISO 8601 date and time with a time zone offset"),
    "AWSEmail": (lambda value: _AWS_EMAIL.match(value) is not None, "an email address"),
    "AWSPhone": (_aws_phone, "a phone number"),
    "AWSURL": (_aws_url, "a URL with a scheme"),
    "AWSIPAddress": (_aws_ip_address, "an IPv4 or IPv6 address or network"),
}

AWS_SCALARS = (*_STRING_SCALARS, "AWSTimestamp", "AWSJSON")
SCALAR_DECLARATIONS = "\n".join(f"scalar {name}" for name in AWS_SCALARS)


def install_scalars(schema: GraphQLSchema) -> None:
    """Gives the schema's AWS scalars (declared by :data:`SCALAR_DECLARATIONS`) their validation."""
    for name, (valid, what) in _STRING_SCALARS.items():
        coerce = _string_scalar(name, valid, what)
        _install(schema, name, output=coerce, input_=coerce)
    _install(schema, "AWSTimestamp", output=_timestamp, input_=_timestamp)
    _install(schema, "AWSJSON", output=_json_output, input_=_json_input)


def _install(
    schema: GraphQLSchema, name: str, *, output: Callable[[Any], Any], input_: Callable[[Any], Any]
) -> None:
    scalar = schema.type_map[name]
    assert isinstance(scalar, GraphQLScalarType)
    # graphql-core reads these per call, so replacing them on the built type is enough; literals
    # are read as plain values and then coerced as inputs.
    scalar.serialize = output  # type: ignore[method-assign, assignment]
    scalar.coerce_output_value = output
    scalar.parse_value = input_  # type: ignore[method-assign, assignment]
    scalar.coerce_input_value = input_
