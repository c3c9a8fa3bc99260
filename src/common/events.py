"""Validation of incoming events, with errors a caller can act on."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError


class InvalidRequestError(ValueError):
    """The event does not have the expected shape; nothing was changed."""


def parse_event[ModelT: BaseModel](model: type[ModelT], event: Any) -> ModelT:
    try:
        return model.model_validate(event)
    except ValidationError as error:
        raise InvalidRequestError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or 'event'}: "
        + issue["msg"].removeprefix("Value error, ")
        for issue in error.errors()
    )
