"""Policy text as IAM reads it: literal characters, the `*` and `?` wildcards, and policy variables.

Policy text is turned into a tuple of tokens before anything is compared, so that a character that
came from a variable (or from one of the `${*}`, `${?}`, `${$}` escapes) is always literal, while
the same character typed into the policy is a wildcard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Literal:
    """Characters compared as they are."""

    text: str


@dataclass(frozen=True, slots=True)
class Wildcard:
    """`*` (any run of characters, including none) or `?` (exactly one character)."""

    any_length: bool

    @property
    def symbol(self) -> str:
        return "*" if self.any_length else "?"


type Token = Literal | Wildcard

# Returns the single value of a request context key (name as written in the policy), or None.
type VariableLookup = Callable[[str], str | None]


class UnresolvedVariableError(LookupError):
    """A policy variable names a key that has no single value in the request context.

    IAM User Guide, "Policy variables with no value": such a variable's "value is effectively
    null. There is no equal or like value." Callers therefore make the one Resource entry or
    condition value that contains it match nothing, rather than abandon the statement.
    """

    def __init__(self, variable: str) -> None:
        super().__init__(f"policy variable ${{{variable}}} has no value in the request context")
        self.variable = variable


_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# `${key}` or `${key, 'default value'}` (IAM User Guide, "Specifying default values").
_KEY_WITH_DEFAULT = re.compile(r"^\s*(?P<key>[^\s,']+)\s*(?:,\s*'(?P<default>[^']*)'\s*)?$")
# IAM User Guide, "Special characters": ${*}, ${?} and ${$} stand for the literal character.
_ESCAPED_CHARACTERS = frozenset({"*", "?", "$"})
# arn:partition:service:region:account:resource - the resource part is the sixth component.
_COLONS_BEFORE_RESOURCE = 5


def tokenize(text: str, lookup: VariableLookup | None) -> tuple[Token, ...]:
    """Split policy text into tokens, substituting policy variables when `lookup` is given.

    `lookup` is None for policies whose language version has no variables (2008-10-17, or no
    Version element): there `${...}` is ordinary text. Raises UnresolvedVariableError when a
    variable has neither a value nor a default.
    """
    tokens: list[Token] = []
    position = 0
    if lookup is not None:
        for match in _VARIABLE.finditer(text):
            _append_policy_text(tokens, text[position : match.start()])
            _append_literal(tokens, _resolve_variable(match.group(1), lookup))
            position = match.end()
    _append_policy_text(tokens, text[position:])
    return tuple(tokens)


def variable_before_resource_part(text: str) -> str | None:
    """The first policy variable written before the fifth colon of a Resource ARN, or None.

    IAM User Guide, "Where you can use policy variables": "You can use a policy variable in the
    Resource element, but only in the resource portion of the ARN. This portion of the ARN appears
    after the fifth colon (:). You can't use a variable to replace parts of the ARN before the
    fifth colon, such as the service or account." The `${*}`, `${?}` and `${$}` escapes count as
    variables here too: they "can be used in any string where you can use regular policy
    variables", and nowhere else.

    Only colons typed in the policy count, never the colon of a key name (`aws:username`) or of a
    substituted value; so only the first variable needs checking, the others coming after it.
    """
    first = _VARIABLE.search(text)
    if first is not None and text.count(":", 0, first.start()) < _COLONS_BEFORE_RESOURCE:
        return first.group(0)
    return None


def literal_text(tokens: tuple[Token, ...]) -> str:
    """The text the tokens spell, wildcards included as plain characters (for exact operators)."""
    return "".join(token.text if isinstance(token, Literal) else token.symbol for token in tokens)


@lru_cache(maxsize=4096)
def glob_regex(tokens: tuple[Token, ...], *, ignore_case: bool) -> re.Pattern[str]:
    """A regex for a whole-string match where `*` may span any characters, `/` and `:` included."""
    parts = [
        re.escape(token.text) if isinstance(token, Literal) else (".*" if token.any_length else ".")
        for token in tokens
    ]
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


@lru_cache(maxsize=4096)
def arn_regex(tokens: tuple[Token, ...]) -> re.Pattern[str]:
    """A regex for the ARN condition operators, which match each ARN component separately.

    IAM User Guide, ARN condition operators: "Each of the six colon-delimited components of the ARN
    is checked separately". A wildcard therefore cannot swallow a colon, except inside the sixth
    (resource) component, which may itself contain colons (`function:name:alias`).
    """
    parts: list[str] = []
    colons_seen = 0
    for token in tokens:
        if isinstance(token, Literal):
            parts.append(re.escape(token.text))
            colons_seen += token.text.count(":")
        elif colons_seen >= _COLONS_BEFORE_RESOURCE:
            parts.append(".*" if token.any_length else ".")
        else:
            parts.append("[^:]*" if token.any_length else "[^:]")
    return re.compile("".join(parts), re.DOTALL)


def _resolve_variable(body: str, lookup: VariableLookup) -> str:
    if body in _ESCAPED_CHARACTERS:
        return body
    match = _KEY_WITH_DEFAULT.match(body)
    if match is None:
        raise UnresolvedVariableError(body)
    value = lookup(match.group("key"))
    if value is not None:
        return value
    default = match.group("default")
    if default is not None:
        return default
    raise UnresolvedVariableError(match.group("key"))


def _append_policy_text(tokens: list[Token], text: str) -> None:
    literal_start = 0
    for index, character in enumerate(text):
        if character in "*?":
            _append_literal(tokens, text[literal_start:index])
            tokens.append(Wildcard(any_length=character == "*"))
            literal_start = index + 1
    _append_literal(tokens, text[literal_start:])


def _append_literal(tokens: list[Token], text: str) -> None:
    if not text:
        return
    if tokens and isinstance(tokens[-1], Literal):
        tokens[-1] = Literal(tokens[-1].text + text)
    else:
        tokens.append(Literal(text))
