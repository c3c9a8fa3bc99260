"""AppSync resolver contexts for the runtime's own tests: the shape AppSync gives a handler, no more."""

from __future__ import annotations

from typing import Any

UUID_V4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
SUB = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"


def customer(sub: str = SUB) -> dict[str, Any]:
    """A user pool caller's identity, as AppSync puts it in ctx.identity."""
    return {"sub": sub, "username": sub, "groups": None, "claims": {"sub": sub, "token_use": "id"}}


def context(
    type_name: str,
    field_name: str,
    *,
    arguments: dict[str, Any] | None = None,
    result: Any = None,
    stash: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """ctx for a handler of the field ``type_name.field_name``."""
    return {
        "arguments": arguments or {},
        "identity": customer(),
        "env": {"LOYALTY_API_STAGE": "dev"},
        "info": {
            "fieldName": field_name,
            "parentTypeName": type_name,
            "variables": {},
            "selectionSetList": [],
            "selectionSetGraphQL": "",
        },
        "stash": stash or {},
        "result": result,
    }
