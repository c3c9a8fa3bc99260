"""The IAM policy evaluator, for tests that decide a request offline."""

from __future__ import annotations

from iam_eval import AccessRequest, ContextValue, Principal, evaluate

__all__ = ["AccessRequest", "ContextValue", "Principal", "evaluate"]
