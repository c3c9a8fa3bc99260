"""Attack tests: each boundary tried from the attacker's side against the running local cloud."""

from tests.e2e.conftest import cloud

__all__ = ["cloud"]
