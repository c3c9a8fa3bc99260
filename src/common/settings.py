"""Configuration is read from the environment when first needed and validated, never at import time."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, ValidationError


class Settings(BaseModel):
    """A function's settings. Built when first loaded: a function builds only the settings its path uses."""

    model_config = ConfigDict(defer_build=True)


class ConfigurationError(RuntimeError):
    """The function's environment is missing or has an invalid setting (a deployment defect)."""


def load_settings[SettingsT: BaseModel](model: type[SettingsT]) -> SettingsT:
    """Build ``model`` from environment variables named after its fields in upper case."""
    values = {name: os.environ[name.upper()] for name in model.model_fields if name.upper() in os.environ}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(f"{str(issue['loc'][0]).upper()}: {issue['msg']}" for issue in error.errors())
        raise ConfigurationError(f"invalid function configuration: {problems}") from None
