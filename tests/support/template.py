"""What the application's tests read of the project's tools about template.yaml (and the web app's
web/template.yaml): loading it, its functions, its SAM translation, intrinsics resolved offline, and
the sample flight catalog."""

from __future__ import annotations

from stacktools.catalog import Flight, sample_flights, seed
from stacktools.offline import offline_resolver
from stacktools.project import WEB_TEMPLATE_PATH
from stacktools.template import (
    REPOSITORY_ROOT,
    function_specs,
    load_template,
    project_template,
    resources_of_type,
)
from stacktools.translate import translate

__all__ = [
    "REPOSITORY_ROOT",
    "WEB_TEMPLATE_PATH",
    "Flight",
    "function_specs",
    "load_template",
    "offline_resolver",
    "project_template",
    "resources_of_type",
    "sample_flights",
    "seed",
    "translate",
]
