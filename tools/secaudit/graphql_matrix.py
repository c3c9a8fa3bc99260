"""The GraphQL authorization matrix: what every kind of caller gets from every field of every type of
``graphql/schema.graphql``, decided offline.

    python -m secaudit.graphql_matrix            # print it; exit 1 if it cannot be decided or is out of date
    python -m secaudit.graphql_matrix --write    # also regenerate docs/graphql-authorization.md

Three things decide a cell, as they do in AppSync:

1. the API's authorization modes (``template.yaml``): a request in a mode the API does not have, or with
   no credentials at all, is refused as a whole;
2. the schema's auth directives, by AppSync's rules (``localcloud.appsync.schema.field_auth_rules``, the
   same rules the local AppSync enforces): each field, nested ones included, must admit the caller's
   mode (and group);
3. whose data each field's resolver lets the caller reach (:data:`OWNERSHIP_PATH`, checked against the
   resolvers' code by the application's tests): nothing but the caller's own, or anyone's.

A field without a resolver returns part of its parent's value, so it gets what the best path to its
type gets. Callers are asked about one customer's data (the ``customer`` column is that customer):
**allowed** reaches it, **owner-only** answers with the caller's own data only, **denied** answers with
nothing. ``tests/e2e/test_graphql_authorization_matrix.py`` asks every cell of the running local
AppSync, with real tokens and signatures.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type, is_introspection_type
from localcloud.appsync.definition import ApiDefinition, AuthenticationType
from localcloud.appsync.schema import FieldAuth, build_appsync_schema, field_auth_rules
from localcloud.appsync.template import definition_from_template
from stacktools.offline import offline_resolver
from stacktools.template import REPOSITORY_ROOT, project_template

DOCS_PATH = REPOSITORY_ROOT / "docs" / "graphql-authorization.md"
OWNERSHIP_PATH = Path(__file__).with_name("graphql_ownership.yaml")
API_LOGICAL_ID = "GraphQLApi"

COGNITO = AuthenticationType.AMAZON_COGNITO_USER_POOLS
IAM = AuthenticationType.AWS_IAM


class Verdict(StrEnum):
    DENIED = "denied"
    OWNER_ONLY = "owner-only"
    ALLOWED = "allowed"


_RANK = {Verdict.DENIED: 0, Verdict.OWNER_ONLY: 1, Verdict.ALLOWED: 2}


@dataclass(frozen=True)
class Caller:
    name: str
    mode: AuthenticationType | None
    """How it authenticates; None: it sends no credentials."""
    description: str
    groups: frozenset[str] = frozenset()
    is_owner: bool = False
    """The data asked about is this caller's own."""


ADMIN_GROUP = "Admin"
CUSTOMER = Caller(
    "customer", COGNITO, "a customer signed in to the user pool, about their own data", is_owner=True
)
OTHER_CUSTOMER = Caller("another customer", COGNITO, "another signed-in customer, about the customer's data")
ADMIN = Caller(
    "Admin",
    COGNITO,
    f"a member of the {ADMIN_GROUP} group, about the customer's data",
    frozenset({ADMIN_GROUP}),
)
IAM_PRINCIPAL = Caller(
    "IAM principal", IAM, "an IAM role or user whose policy allows `appsync:GraphQL` on the whole API"
)
ANONYMOUS = Caller("anonymous", None, "a request without credentials")
API_KEY = Caller("API key", AuthenticationType.API_KEY, "a request with an API key (`x-api-key`)")
CALLERS = (CUSTOMER, OTHER_CUSTOMER, ADMIN, IAM_PRINCIPAL, ANONYMOUS, API_KEY)


@dataclass(frozen=True)
class Cell:
    verdict: Verdict
    by: str
    """What decided, in a word or two: ``request``, ``schema``, ``resolver``, ``no resolver``, ``no path``."""
    reason: str


@dataclass(frozen=True)
class Ownership:
    field: str
    reach: str
    """``anyone`` or ``owner``."""
    why: str
    unless_group: str | None = None


class MatrixError(ValueError):
    """The matrix cannot be decided: the message says what to add or remove, and where."""


@dataclass(frozen=True)
class GraphQLApi:
    """What the matrix reads of the template: the API's modes, its schema and its resolved fields."""

    schema: GraphQLSchema
    default_mode: AuthenticationType
    additional_modes: frozenset[AuthenticationType]
    resolved: frozenset[str]
    """``Type.field`` of every field with a resolver."""

    @property
    def modes(self) -> frozenset[AuthenticationType]:
        return self.additional_modes | {self.default_mode}


def api_of(template: Mapping[str, Any], root: Path = REPOSITORY_ROOT) -> GraphQLApi:
    resources: Mapping[str, Any] = template["Resources"]
    properties = resources[API_LOGICAL_ID]["Properties"]
    [schema_location] = [
        resource["Properties"]["DefinitionS3Location"]
        for resource in resources.values()
        if resource["Type"] == "AWS::AppSync::GraphQLSchema"
    ]
    return GraphQLApi(
        schema=build_appsync_schema((root / schema_location).read_text(encoding="utf-8")),
        default_mode=AuthenticationType(properties["AuthenticationType"]),
        additional_modes=frozenset(
            AuthenticationType(provider["AuthenticationType"])
            for provider in properties.get("AdditionalAuthenticationProviders", [])
        ),
        resolved=frozenset(
            f"{resource['Properties']['TypeName']}.{resource['Properties']['FieldName']}"
            for resource in resources.values()
            if resource["Type"] == "AWS::AppSync::Resolver"
        ),
    )


def offline_definition(template: Mapping[str, Any], root: Path = REPOSITORY_ROOT) -> ApiDefinition:
    """The API as the local AppSync would serve it from a stack deployed offline
    (``stacktools.offline``): for running its resolvers without a local cloud."""
    resolver = offline_resolver(dict(template))
    appsync = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"].startswith("AWS::AppSync::")
    }
    for logical_id, resource in appsync.items():
        if resource["Type"] == "AWS::AppSync::DataSource":
            resolver.attributes[(logical_id, "Name")] = resource["Properties"]["Name"]
    return definition_from_template(
        {
            logical_id: {"Type": resource["Type"], "Properties": resolver.resolve(resource["Properties"])}
            for logical_id, resource in appsync.items()
        },
        api_logical_id=API_LOGICAL_ID,
        api_id=resolver.get_att(API_LOGICAL_ID, "ApiId"),
        account_id=resolver.account_id,
        region=resolver.region,
        base_path=root,
        function_ids={
            logical_id: resolver.get_att(logical_id, "FunctionId")
            for logical_id, resource in appsync.items()
            if resource["Type"] == "AWS::AppSync::FunctionConfiguration"
        },
    )


def load_ownership(path: Path = OWNERSHIP_PATH) -> dict[str, Ownership]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = {}
    for name, entry in (document.get("fields") or {}).items():
        if entry.get("reach") not in ("anyone", "owner") or not str(entry.get("why", "")).strip():
            raise MatrixError(f"{path.name}: {name} needs `reach: anyone` or `reach: owner`, and a `why`")
        if entry.get("unless_group") and entry["reach"] != "owner":
            raise MatrixError(f"{path.name}: {name}: unless_group goes with `reach: owner` only")
        found[name] = Ownership(
            name, entry["reach"], " ".join(entry["why"].split()), entry.get("unless_group")
        )
    return found


def object_types(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    """The schema's object types, roots first, in the order the schema writes them."""
    roots = [root for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root]
    others = [
        type_
        for type_ in schema.type_map.values()
        if isinstance(type_, GraphQLObjectType) and not is_introspection_type(type_) and type_ not in roots
    ]
    return [*roots, *others]


def fields_of(schema: GraphQLSchema) -> list[str]:
    """``Type.field`` of every field of every object type, as the matrix lists them."""
    return [f"{type_.name}.{field}" for type_ in object_types(schema) for field in type_.fields]


def _modes(rule: FieldAuth) -> str:
    names = {COGNITO: "user pool", IAM: "IAM"}
    modes = " and ".join(sorted(names.get(mode, mode.value) for mode in rule.modes))
    if rule.cognito_groups is not None:
        modes += f" (groups {', '.join(sorted(rule.cognito_groups))})"
    return f"{modes} callers"


class _Decider:
    def __init__(self, api: GraphQLApi, ownership: Mapping[str, Ownership]) -> None:
        unowned = sorted(api.resolved - set(ownership))
        if unowned:
            raise MatrixError(
                f"{', '.join(unowned)}: a resolver without an ownership rule. Say whose data it reaches in "
                f"{OWNERSHIP_PATH.relative_to(REPOSITORY_ROOT)} (reach: anyone | owner, why: ...)"
            )
        stale = sorted(set(ownership) - api.resolved)
        if stale:
            raise MatrixError(
                f"{', '.join(stale)}: no resolver in template.yaml; remove the entry from "
                f"{OWNERSHIP_PATH.relative_to(REPOSITORY_ROOT)}"
            )
        self._api = api
        self._ownership = ownership
        self._rules = field_auth_rules(api.schema, api.default_mode, api.additional_modes)
        schema = api.schema
        self._roots = {
            root.name for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root
        }

    def cells(self, caller: Caller) -> dict[str, Cell]:
        """Every field's cell for this caller."""
        types = object_types(self._api.schema)
        unreachable = Cell(Verdict.DENIED, "no path", "no field this caller may read leads here")
        reach = {
            type_.name: Cell(Verdict.ALLOWED, "", "") if type_.name in self._roots else unreachable
            for type_ in types
        }
        changed = True
        while changed:
            changed = False
            for type_ in types:
                for name, field in type_.fields.items():
                    target = get_named_type(field.type)
                    if not isinstance(target, GraphQLObjectType):
                        continue
                    cell = self._cell(caller, type_.name, name, reach[type_.name])
                    if _RANK[cell.verdict] > _RANK[reach[target.name].verdict]:
                        reach[target.name] = cell
                        changed = True
        return {
            f"{type_.name}.{name}": self._cell(caller, type_.name, name, reach[type_.name])
            for type_ in types
            for name in type_.fields
        }

    def _cell(self, caller: Caller, type_name: str, field: str, parent: Cell) -> Cell:
        refused = self._refused_request(caller)
        if refused is not None:
            return refused
        assert caller.mode is not None
        rule = self._rules[(type_name, field)]
        if not rule.admits(caller.mode, caller.groups):
            return Cell(Verdict.DENIED, "schema", f"the schema admits {_modes(rule)} to {type_name}.{field}")
        ownership = self._ownership.get(f"{type_name}.{field}")
        if type_name in self._roots and f"{type_name}.{field}" not in self._api.resolved:
            return Cell(Verdict.DENIED, "no resolver", "a top-level field without a resolver answers null")
        if parent.verdict is Verdict.DENIED or ownership is None:
            return parent
        cell = _owned(ownership, caller)
        if type_name in self._roots:
            return cell
        return Cell(cell.verdict, cell.by, f"{type_name}.{field}: {cell.reason}")

    def _refused_request(self, caller: Caller) -> Cell | None:
        """AppSync's 401 for a request no mode of the API authenticates."""
        if caller.mode is None:
            return Cell(Verdict.DENIED, "request", "no credentials: AppSync refuses the request (401)")
        if caller.mode not in self._api.modes:
            return Cell(
                Verdict.DENIED,
                "request",
                f"{caller.mode.value} is not a mode of the API: AppSync refuses the request (401)",
            )
        return None


def _owned(ownership: Ownership, caller: Caller) -> Cell:
    where = f"{ownership.field}'s resolver"
    if ownership.reach == "anyone":
        return Cell(Verdict.ALLOWED, "resolver", f"{where} reads data no customer owns")
    if caller.mode is not COGNITO:
        return Cell(Verdict.DENIED, "resolver", f"{where} refuses a caller without a user pool identity")
    if caller.is_owner:
        return Cell(Verdict.ALLOWED, "resolver", f"{where} answers with the caller's own data")
    if ownership.unless_group and ownership.unless_group in caller.groups:
        return Cell(
            Verdict.ALLOWED,
            "resolver",
            f"{where} lets the {ownership.unless_group} group reach any customer's",
        )
    return Cell(Verdict.OWNER_ONLY, "resolver", f"{where} answers with the caller's own data only")


Matrix = dict[str, dict[str, Cell]]
"""``Type.field`` -> caller name -> cell."""


def decide(api: GraphQLApi | None = None, ownership: Mapping[str, Ownership] | None = None) -> Matrix:
    """The matrix of the project's API (or of ``api``), with its ownership rules (or ``ownership``)."""
    api = api or api_of(project_template())
    decider = _Decider(api, load_ownership() if ownership is None else ownership)
    by_caller = {caller.name: decider.cells(caller) for caller in CALLERS}
    return {
        field: {caller.name: by_caller[caller.name][field] for caller in CALLERS}
        for field in fields_of(api.schema)
    }


def rows(matrix: Matrix) -> dict[str, tuple[str, ...]]:
    """``Type.field`` -> its cells for :data:`CALLERS`, in order, written as the document writes them
    (``allowed``, ``owner-only``, ``denied (schema)``...)."""
    return {field: tuple(cell_text(row[caller.name]) for caller in CALLERS) for field, row in matrix.items()}


def render(matrix: Matrix) -> str:
    """Every cell with its reason, one per line: what ``python -m secaudit.graphql_matrix`` prints."""
    return "\n".join(
        f"{field:40} {caller:17} {cell.verdict.value:10} {cell.reason}"
        for field, row in matrix.items()
        for caller, cell in row.items()
    )


_MODE_NAMES = {COGNITO: "Cognito user pool", IAM: "IAM (SigV4)"}


def document(api: GraphQLApi, matrix: Matrix, ownership: Mapping[str, Ownership]) -> str:
    """docs/graphql-authorization.md."""
    additional = (
        ", ".join(_MODE_NAMES.get(mode, mode.value) for mode in sorted(api.additional_modes)) or "none"
    )
    lines = [
        "# GraphQL authorization matrix",
        "",
        "Generated by `python -m secaudit.graphql_matrix --write` from `graphql/schema.graphql` (its auth",
        "directives), `template.yaml` (the API's authorization modes and its resolvers) and",
        "`tools/secaudit/graphql_ownership.yaml` (whose data each resolver reaches). Do not edit: CI fails",
        "when this file is out of date. `tests/e2e/test_graphql_authorization_matrix.py` asks every cell",
        "of the running local AppSync over HTTP, with real user pool tokens and SigV4 signatures. The REST",
        "side is in [authorization-matrix.md](authorization-matrix.md).",
        "",
        f"The API's default mode: {_MODE_NAMES.get(api.default_mode, api.default_mode.value)}; additional: "
        f"{additional}.",
        "",
        "| caller | who |",
        "|---|---|",
        *(f"| {caller.name} | {caller.description} |" for caller in CALLERS),
        "",
        "Each caller is asked about the customer's data (their bookings, their points): **allowed** reaches",
        "it (or, for the flight catalog, which belongs to no customer, reads it); **owner-only** answers",
        "with the caller's own data only, never the customer's; **denied** answers with nothing. In",
        "brackets, what denies: the *request* as a whole (AppSync's 401), the *schema*'s auth directives",
        '(AppSync\'s "Not Authorized to access ... on type ..."), the *resolver*, *no resolver* (a top-level',
        "field without one answers null) or *no path*: no field the caller may read returns the type.",
        "",
    ]
    for type_ in object_types(api.schema):
        lines += [f"## {type_.name}", "", f"| field | {' | '.join(caller.name for caller in CALLERS)} |"]
        lines.append("|---" * (len(CALLERS) + 1) + "|")
        for name in type_.fields:
            row = matrix[f"{type_.name}.{name}"]
            cells = [cell_text(row[caller.name]) for caller in CALLERS]
            lines.append(f"| {name} | {' | '.join(cells)} |")
        lines.append("")
    lines += [
        "## Whose data each resolver reaches",
        "",
        "| field | reach | how |",
        "|---|---|---|",
    ]
    for entry in ownership.values():
        reach = entry.reach if entry.unless_group is None else f"owner, or any for {entry.unless_group}"
        lines.append(f"| {entry.field} | {reach} | {entry.why} |")
    lines += [
        "",
        "## AppSync's rules the schema column follows",
        "",
        "- A field's own auth directives decide who may read it; a field without any takes its type's; a",
        "  field of a type without any admits the API's default mode only.",
        "- A directive admits its mode and no other: once a field or type names any mode, the default mode",
        "  must be named too (`@aws_cognito_user_pools`) for user pool callers to keep reading it.",
        "- Every field is decided on its own, nested ones too: a type returned by a field the caller may",
        "  read still has to admit the caller, or its fields are refused.",
        "- `@aws_cognito_user_pools(cognito_groups: [...])` admits members of those groups only; `@aws_auth`",
        "  is refused once the API has additional modes.",
        "- An IAM caller also needs `appsync:GraphQL` on each top-level field it asks for (the IAM principal",
        "  above has it on the whole API).",
        "",
    ]
    return "\n".join(lines)


def cell_text(cell: Cell) -> str:
    return cell.verdict.value if cell.verdict is not Verdict.DENIED else f"denied ({cell.by})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate docs/graphql-authorization.md")
    args = parser.parse_args(argv)
    api = api_of(project_template())
    try:
        ownership = load_ownership()
        matrix = decide(api, ownership)
    except MatrixError as error:
        print(f"GraphQL authorization matrix: {error}", file=sys.stderr)
        return 1
    print(render(matrix))
    text = document(api, matrix, ownership)
    where = DOCS_PATH.relative_to(REPOSITORY_ROOT)
    if args.write:
        DOCS_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {where}")
        return 0
    if not DOCS_PATH.is_file() or DOCS_PATH.read_text(encoding="utf-8") != text:
        print(f"{where} is out of date: run `python -m secaudit.graphql_matrix --write`", file=sys.stderr)
        return 1
    cells = sum(len(row) for row in matrix.values())
    print(f"\nGraphQL authorization matrix: {len(matrix)} fields, {len(CALLERS)} callers, {cells} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
