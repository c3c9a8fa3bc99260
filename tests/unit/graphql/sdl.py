"""Just enough of a GraphQL SDL reader for the schema's tests: types, their fields and directives.

It reads what schema.graphql is written with (object, input and enum types, field arguments, directives
without arguments, descriptions and comments) and refuses anything else, so a schema that outgrows it
fails loudly rather than being half read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_BLOCK_STRING = re.compile(r'"""(?:.|\n)*?"""')
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_COMMENT = re.compile(r"#[^\n]*")
_DEFINITION = re.compile(
    r"(?P<kind>type|input|enum|schema)\s*(?P<name>\w+)?\s*(?P<directives>(?:@\w+\s*)*)\{(?P<body>[^{}]*)\}"
)
_FIELD = re.compile(
    r"(?P<name>\w+)\s*(?:\((?P<arguments>[^)]*)\))?\s*:\s*(?P<type>[\w\[\]!]+)\s*(?P<directives>(?:@\w+\s*)*)"
)
_ARGUMENT = re.compile(r"(?P<name>\w+)\s*:\s*(?P<type>[\w\[\]!]+)")
_DIRECTIVE = re.compile(r"@(\w+)")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    """As written, e.g. ``[Flight!]!``."""
    arguments: dict[str, str]
    directives: frozenset[str]

    @property
    def named_type(self) -> str:
        """The type without list and non-null wrappers: ``Flight`` for ``[Flight!]!``."""
        return self.type.strip("[]!")


@dataclass(frozen=True)
class Definition:
    kind: str
    name: str
    directives: frozenset[str]
    fields: dict[str, Field]
    """Fields of a type or input; for an enum, its values (with empty types)."""


def _without_strings_and_comments(text: str) -> str:
    text = _BLOCK_STRING.sub(" ", text)
    text = _STRING.sub(" ", text)
    return _COMMENT.sub(" ", text)


def parse(text: str) -> dict[str, Definition]:
    source = _without_strings_and_comments(text)
    definitions: dict[str, Definition] = {}
    position = 0
    for match in _DEFINITION.finditer(source):
        skipped = source[position : match.start()].strip()
        if skipped:
            raise ValueError(f"the schema reader does not understand: {skipped[:80]!r}")
        position = match.end()
        kind = match["kind"]
        name = match["name"] or kind
        body = match["body"]
        fields: dict[str, Field]
        if kind == "enum":
            fields = {value: Field(value, "", {}, frozenset()) for value in body.split()}
        else:
            fields = {}
            unread = _FIELD.sub(" ", body).strip()
            if unread:
                raise ValueError(f"the schema reader does not understand, in {name}: {unread[:80]!r}")
            for field_match in _FIELD.finditer(body):
                arguments = {
                    argument["name"]: argument["type"]
                    for argument in _ARGUMENT.finditer(field_match["arguments"] or "")
                }
                fields[field_match["name"]] = Field(
                    name=field_match["name"],
                    type=field_match["type"],
                    arguments=arguments,
                    directives=frozenset(_DIRECTIVE.findall(field_match["directives"])),
                )
        if name in definitions:
            raise ValueError(f"{name} is defined twice")
        definitions[name] = Definition(kind, name, frozenset(_DIRECTIVE.findall(match["directives"])), fields)
    rest = source[position:].strip()
    if rest:
        raise ValueError(f"the schema reader does not understand: {rest[:80]!r}")
    return definitions


def load(path: Path) -> dict[str, Definition]:
    return parse(path.read_text(encoding="utf-8"))
