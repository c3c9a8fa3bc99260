"""The AWS settings the test run started with, before the suite replaced them with fake ones."""

from __future__ import annotations

import os

_AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AIRLINE_STACK_NAME",
)
_original: dict[str, str] = {}


def remember_environment() -> None:
    if not _original:
        _original.update({name: os.environ[name] for name in _AWS_VARIABLES if name in os.environ})


def original_environment() -> dict[str, str]:
    return dict(_original)
