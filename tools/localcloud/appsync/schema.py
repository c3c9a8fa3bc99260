"""The API's schema as AppSync builds it: its scalars, its auth directives, its introspection switch.

A schema written for AppSync uses AppSync's scalars and directives without declaring them; they are
declared here before graphql-core builds it. The auth directives then decide, field by field, which
authorization modes may read it (:func:`field_auth_rules`).
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from graphql.validation.validate import assert_valid_sdl

from graphql import (
    DirectiveNode,
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    Node,
    ValidationContext,
    ValidationRule,
    build_schema,
    is_introspection_type,
    parse,
    value_from_ast_untyped,
)
from localcloud.appsync.definition import AuthenticationType, DefinitionError
from localcloud.appsync.scalars import SCALAR_DECLARATIONS, install_scalars

# AppSync's own directives, declared as AppSync declares them for every schema.
DIRECTIVE_DECLARATIONS = """
directive @aws_cognito_user_pools(cognito_groups: [String]) on OBJECT | INTERFACE | FIELD_DEFINITION
directive @aws_iam on OBJECT | INTERFACE | FIELD_DEFINITION
directive @aws_api_key on OBJECT | INTERFACE | FIELD_DEFINITION
directive @aws_oidc on OBJECT | INTERFACE | FIELD_DEFINITION
directive @aws_lambda on OBJECT | INTERFACE | FIELD_DEFINITION
directive @aws_auth(cognito_groups: [String]) on FIELD_DEFINITION
directive @aws_subscribe(mutations: [String]) on FIELD_DEFINITION
"""

_MODE_DIRECTIVES = {
    "aws_cognito_user_pools": AuthenticationType.AMAZON_COGNITO_USER_POOLS,
    "aws_iam": AuthenticationType.AWS_IAM,
    "aws_api_key": AuthenticationType.API_KEY,
    "aws_oidc": AuthenticationType.OPENID_CONNECT,
    "aws_lambda": AuthenticationType.AWS_LAMBDA,
    # The legacy form of the user pool directive: it names the groups of the user pool mode, and AppSync
    # accepts it only when that mode is the API's one and only mode.
    "aws_auth": AuthenticationType.AMAZON_COGNITO_USER_POOLS,
}


def build_appsync_schema(sdl: str) -> GraphQLSchema:
    """graphql-core's schema for AppSync SDL; a DefinitionError if AppSync would not accept it either.

    Each call builds a new schema (an engine installs its own resolvers on it); the SDL's validation,
    which depends on its text alone and costs more than the build, is done once per text."""
    text = f"{SCALAR_DECLARATIONS}\n{DIRECTIVE_DECLARATIONS}\n{sdl}"
    try:
        _assert_valid_sdl(text)
        schema = build_schema(text, assume_valid_sdl=True)
    except (GraphQLError, TypeError) as error:
        raise DefinitionError(f"the schema is not valid: {error}") from error
    install_scalars(schema)
    return schema


@functools.lru_cache(maxsize=32)
def _assert_valid_sdl(text: str) -> None:
    """Raises for SDL graphql-core would refuse to build (an error is not kept: refused every time)."""
    assert_valid_sdl(parse(text))


@dataclass(frozen=True)
class FieldAuth:
    """Who may read a field: its authorization modes, and for user pool callers, which groups."""

    modes: frozenset[AuthenticationType]
    cognito_groups: frozenset[str] | None = None
    """None: any user of the pool; otherwise members of one of these groups only."""

    def admits(self, mode: AuthenticationType, groups: frozenset[str]) -> bool:
        if mode not in self.modes:
            return False
        if mode is AuthenticationType.AMAZON_COGNITO_USER_POOLS and self.cognito_groups is not None:
            return bool(self.cognito_groups & groups)
        return True


def field_auth_rules(
    schema: GraphQLSchema,
    default_mode: AuthenticationType,
    additional_modes: Collection[AuthenticationType] = (),
) -> dict[tuple[str, str], FieldAuth]:
    """(type, field) -> who may read it, for every field of every object type.

    AppSync's rules ("Configuring authorization and authentication" in its developer guide): a field's
    own auth directives decide; a field without any takes its type's; a field of a type without any
    admits the API's default mode only. A directive admits its mode and no other: once a field or type
    names any mode, the default mode must be named too to be admitted. Each field is decided on its
    own, nested ones included: a type reached through an admitted field still has to admit the caller.
    ``@aws_auth`` is refused when the API has additional modes, as AppSync refuses it.
    """
    rules: dict[tuple[str, str], FieldAuth] = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or is_introspection_type(type_):
            continue
        type_nodes: list[Node | None] = [type_.ast_node, *type_.extension_ast_nodes]
        type_rule = _rule_of(_directives(type_nodes))
        for name, field in type_.fields.items():
            directives = _directives([field.ast_node])
            if additional_modes and any(directive.name.value == "aws_auth" for directive in directives):
                raise DefinitionError(
                    f"{type_.name}.{name}: @aws_auth works only when the user pool is the API's only "
                    "authorization mode; with additional modes write @aws_cognito_user_pools"
                )
            rule = _rule_of(directives) or type_rule
            rules[(type_.name, name)] = rule or FieldAuth(frozenset({default_mode}))
    return rules


def _directives(nodes: list[Node | None]) -> list[DirectiveNode]:
    found: list[DirectiveNode] = []
    for node in nodes:
        found.extend(getattr(node, "directives", None) or ())
    return found


def _rule_of(directives: list[DirectiveNode]) -> FieldAuth | None:
    """The modes the auth directives name; None when there are no auth directives at all."""
    modes: set[AuthenticationType] = set()
    groups: set[str] | None = None
    for directive in directives:
        mode = _MODE_DIRECTIVES.get(directive.name.value)
        if mode is None:
            continue
        modes.add(mode)
        listed = _cognito_groups(directive)
        if listed is not None:
            groups = (groups or set()) | listed
    if not modes:
        return None
    return FieldAuth(frozenset(modes), frozenset(groups) if groups is not None else None)


def _cognito_groups(directive: DirectiveNode) -> set[str] | None:
    for argument in directive.arguments or ():
        if argument.name.value == "cognito_groups":
            value: Any = value_from_ast_untyped(argument.value)
            return {str(group) for group in value or ()}
    return None


class IntrospectionDisabledRule(ValidationRule):
    """AppSync with introspection disabled: the introspection types have no fields to select.

    The document fails validation the way AppSync reports an unknown field, so ``__schema`` and
    ``__type`` give nothing away, while ``__typename`` (not introspection of the schema) still works.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._undefined: set[int] = set()

    def enter_field(self, node: FieldNode, _key: Any, _parent: Any, _path: Any, ancestors: list[Any]) -> None:
        parent = self.context.get_parent_type()
        if parent is None or not is_introspection_type(parent):
            return
        fields = [ancestor for ancestor in ancestors if isinstance(ancestor, FieldNode)]
        # Below an undefined field there is nothing to know: only the outermost one is reported.
        if any(id(ancestor) in self._undefined for ancestor in fields):
            return
        self._undefined.add(id(node))
        path = "/".join([*(ancestor.name.value for ancestor in fields), node.name.value])
        self.report_error(
            GraphQLError(
                f"Validation error of type FieldUndefined: Field '{node.name.value}' in type "
                f"'{parent.name}' is undefined @ '{path}'",
                node,
            )
        )
