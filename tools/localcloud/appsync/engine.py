"""GraphQL execution with AppSync's semantics: field auth, depth limit, unit and pipeline resolvers.

Every field of the schema gets a resolver here. Before anything else it checks, as AppSync does, that
the field is within the depth limit, that its auth directives admit the caller's mode (and groups),
and for an IAM caller at the top level, that its policies allow ``appsync:GraphQL`` on the field. A
field that fails resolves to null with AppSync's error; its resolver code never runs.

Fields with a resolver run its APPSYNC_JS handlers in the :class:`ResolverRuntime` with a ``ctx``
built as AppSync builds it; the rest read the parent's value, as AppSync's default does.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    default_field_resolver,
    execute,
    get_operation_ast,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from localcloud.appsync.auth import Authenticated, Authenticator, RequestRefusedError
from localcloud.appsync.datasources import DataSources
from localcloud.appsync.definition import (
    ApiDefinition,
    DefinitionError,
    PipelineResolver,
    Resolver,
    UnitResolver,
)
from localcloud.appsync.dynamodb import MappingTemplateError
from localcloud.appsync.resolver_runtime import (
    AppSyncError,
    EvaluationResult,
    Handler,
    ResolverCodeError,
    ResolverRuntime,
)
from localcloud.appsync.schema import (
    FieldAuth,
    IntrospectionDisabledRule,
    build_appsync_schema,
    field_auth_rules,
)

logger = logging.getLogger(__name__)


class FieldError(Exception):
    """A field resolves to null with this error in the response (AppSync's error entry)."""

    def __init__(
        self, message: str, error_type: str | None, data: Any = None, error_info: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.data = data
        self.error_info = error_info

    @classmethod
    def of(cls, error: AppSyncError) -> FieldError:
        return cls(error.message, error.type, error.data, error.error_info)


def unauthorized_field(info: GraphQLResolveInfo[RequestContext]) -> FieldError:
    return FieldError(
        f"Not Authorized to access {info.field_name} on type {info.parent_type.name}", "Unauthorized"
    )


@dataclass
class RequestContext:
    """One request, as the resolvers of its fields see it."""

    auth: Authenticated
    headers: Mapping[str, str]
    """The request's headers, names in lower case (``ctx.request.headers``)."""
    source_ip: str
    appended: list[dict[str, Any]] = field(default_factory=list)
    """util.appendError's errors, in AppSync's shape: they join the response's errors."""


@dataclass
class _Step:
    """Where a resolver's evaluation stands: the stash it carries and the last result."""

    stash: dict[str, Any]
    result: Any = None


class GraphQLEngine:
    """Executes GraphQL requests against the API: one engine per API, shared by every request."""

    def __init__(
        self,
        definition: ApiDefinition,
        runtime: ResolverRuntime,
        data_sources: DataSources,
        authenticator: Authenticator,
    ) -> None:
        self._definition = definition
        self._runtime = runtime
        self._data_sources = data_sources
        self._authenticator = authenticator
        self.schema = build_appsync_schema(definition.schema)
        self._rules = field_auth_rules(
            self.schema,
            definition.default_auth.type,
            [provider.type for provider in definition.additional_auth],
        )
        self._validation_rules = (
            specified_rules if definition.introspection else (*specified_rules, IntrospectionDisabledRule)
        )
        root_types = (self.schema.query_type, self.schema.mutation_type, self.schema.subscription_type)
        self._root_types = frozenset(root.name for root in root_types if root is not None)
        self._install_resolvers()
        # Parsing and validating a query depends on its text and the schema alone, and costs more than
        # most resolvers: each text is checked once (a bounded cache, since the text is the caller's).
        # Execution never changes a document; each response gets its own copy of the errors.
        self._checked = functools.lru_cache(maxsize=256)(self._parse_and_validate)

    def execute(self, payload: Mapping[str, Any], request: RequestContext) -> dict[str, Any]:
        """The response to a GraphQL request body ({query, variables, operationName})."""
        query = payload.get("query")
        variables = payload.get("variables") or {}
        operation_name = payload.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, dict):
            raise RequestRefusedError(400, "MalformedHttpRequestException", "Unable to parse GraphQL query.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestRefusedError(400, "MalformedHttpRequestException", "operationName must be a string.")
        document, errors = self._checked(query)
        if document is None:
            return {"data": None, "errors": copy.deepcopy(list(errors))}
        operation = get_operation_ast(document, operation_name)
        if operation is not None and operation.operation is OperationType.SUBSCRIPTION:
            return {
                "data": None,
                "errors": [
                    {
                        "path": None,
                        "locations": None,
                        "message": "The local AppSync does not serve subscriptions.",
                    }
                ],
            }
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=request,
        )
        assert isinstance(result, ExecutionResult), "the resolvers are synchronous"
        response: dict[str, Any] = {"data": result.data}
        all_errors = [format_error(error) for error in result.errors or ()] + request.appended
        if all_errors:
            response["errors"] = all_errors
        return response

    def _parse_and_validate(self, query: str) -> tuple[DocumentNode | None, tuple[dict[str, Any], ...]]:
        """The query's document, or None and the errors that refuse it (syntax, then validation)."""
        try:
            document = parse(query)
        except GraphQLError as error:
            return None, (format_error(error),)
        errors = validate(self.schema, document, self._validation_rules)
        if errors:
            return None, tuple(format_error(error) for error in errors)
        return document, ()

    # ------------------------------------------------------------------ fields

    def _install_resolvers(self) -> None:
        configured = {
            (resolver.type_name, resolver.field_name): resolver for resolver in self._definition.resolvers
        }
        for type_name, field_name in configured:
            type_ = self.schema.type_map.get(type_name)
            if not isinstance(type_, GraphQLObjectType) or field_name not in type_.fields:
                raise DefinitionError(f"resolver for {type_name}.{field_name}: the schema has no such field")
        for (type_name, field_name), rule in self._rules.items():
            type_ = self.schema.type_map[type_name]
            assert isinstance(type_, GraphQLObjectType)
            type_.fields[field_name].resolve = self._field_resolver(
                rule, type_name in self._root_types, configured.get((type_name, field_name))
            )

    def _field_resolver(
        self, rule: FieldAuth, is_root: bool, resolver: Resolver | None
    ) -> Callable[..., Any]:
        def resolve(source: Any, info: GraphQLResolveInfo[RequestContext], **arguments: Any) -> Any:
            request: RequestContext = info.context
            limit = self._definition.query_depth_limit
            depth = sum(1 for key in info.path.as_list() if isinstance(key, str))
            if limit and depth > limit:
                raise FieldError(
                    f"Query depth limit of {limit} exceeded: {info.field_name} is at depth {depth}.",
                    "QueryDepthLimitExceeded",
                )
            auth = request.auth
            if not rule.admits(auth.mode, auth.groups):
                raise unauthorized_field(info)
            if (
                is_root
                and auth.caller is not None
                and not self._authenticator.iam_allows(
                    auth.caller, info.parent_type.name, info.field_name, request.source_ip
                )
            ):
                raise unauthorized_field(info)
            if resolver is None:
                return default_field_resolver(source, info, **arguments)
            return self._run(resolver, source, arguments, info)

        return resolve

    def _run(
        self,
        resolver: Resolver,
        source: Any,
        arguments: dict[str, Any],
        info: GraphQLResolveInfo[RequestContext],
    ) -> Any:
        evaluation = _Evaluation(self._runtime, self._definition.environment, source, arguments, info)
        try:
            if isinstance(resolver, UnitResolver):
                return self._unit(resolver, evaluation)
            return self._pipeline(resolver, evaluation)
        except FieldError:
            raise
        except MappingTemplateError as error:
            raise FieldError(str(error), "MappingTemplate") from error
        except ResolverCodeError as error:
            raise FieldError(f"{error.name}: {error.message}", "Code") from error
        except Exception as error:
            logger.exception("resolver %s.%s failed", resolver.type_name, resolver.field_name)
            raise FieldError(f"An internal failure occurred: {error}", "InternalFailure") from error

    def _unit(self, resolver: UnitResolver, evaluation: _Evaluation) -> Any:
        step = _Step(stash={})
        request = evaluation.run(resolver.code, "request", step)
        if request.early_return is not None:
            return request.value
        invocation = self._data_sources.invoke(resolver.data_source, request.value)
        return evaluation.run(
            resolver.code, "response", step, result=invocation.result, error=invocation.error
        ).value

    def _pipeline(self, resolver: PipelineResolver, evaluation: _Evaluation) -> Any:
        step = _Step(stash={})
        before = evaluation.run(resolver.code, "request", step)
        step.result = before.value
        # earlyReturn in the pipeline's own request handler skips every function.
        if before.early_return is None:
            for function_id in resolver.functions:
                function = self._definition.function(function_id)
                prev = {"result": step.result}
                request = evaluation.run(function.code, "request", step, prev=prev)
                if request.early_return is not None:
                    step.result = request.value
                    if request.early_return.skip_to == "END":
                        break
                    continue
                invocation = self._data_sources.invoke(function.data_source, request.value)
                response = evaluation.run(
                    function.code,
                    "response",
                    step,
                    prev=prev,
                    result=invocation.result,
                    error=invocation.error,
                )
                step.result = response.value
                if response.early_return is not None and response.early_return.skip_to == "END":
                    break
        prev = {"result": step.result}
        return evaluation.run(resolver.code, "response", step, prev=prev, result=step.result).value


class _Evaluation:
    """The handlers of one field's resolver: the ctx they share, and their errors."""

    def __init__(
        self,
        runtime: ResolverRuntime,
        environment: Mapping[str, str],
        source: Any,
        arguments: dict[str, Any],
        info: GraphQLResolveInfo[RequestContext],
    ) -> None:
        self._runtime = runtime
        self._info = info
        self._request: RequestContext = info.context
        self._base = {
            "arguments": arguments,
            "source": source,
            "identity": self._request.auth.identity,
            "request": {"headers": dict(self._request.headers), "domainName": None},
            "info": {
                "fieldName": info.field_name,
                "parentTypeName": info.parent_type.name,
                "variables": dict(info.variable_values.coerced) if info.variable_values else {},
                "selectionSetList": selection_set_list(info),
                "selectionSetGraphQL": selection_set_graphql(info),
            },
            "env": dict(environment),
        }

    def run(
        self,
        code: Path,
        handler: Handler,
        step: _Step,
        *,
        prev: dict[str, Any] | None = None,
        result: Any = None,
        error: dict[str, str] | None = None,
    ) -> EvaluationResult:
        """Evaluates a handler; its stash carries on in ``step``; util.error ends the field with its error."""
        context = {**self._base, "stash": step.stash, "prev": prev, "result": result}
        if error is not None:
            context["error"] = error
        evaluation = self._runtime.evaluate(code, handler, context)
        for appended in evaluation.appended_errors:
            self._request.appended.append(self._entry(FieldError.of(appended)))
        if evaluation.error is not None:
            raise FieldError.of(evaluation.error)
        step.stash = evaluation.stash
        return evaluation

    def _entry(self, error: FieldError) -> dict[str, Any]:
        return {
            "path": self._info.path.as_list(),
            "data": error.data,
            "errorType": error.error_type,
            "errorInfo": error.error_info,
            "locations": _locations(self._info.field_nodes),
            "message": error.message,
        }


def format_error(error: GraphQLError) -> dict[str, Any]:
    """A GraphQL error in AppSync's shape: resolver errors carry their type, data and errorInfo."""
    locations = [
        {"line": location.line, "column": location.column, "sourceName": None}
        for location in error.locations or ()
    ]
    original = error.original_error
    if isinstance(original, FieldError):
        return {
            "path": error.path,
            "data": original.data,
            "errorType": original.error_type,
            "errorInfo": original.error_info,
            "locations": locations or None,
            "message": original.message,
        }
    return {"path": error.path, "locations": locations or None, "message": error.message}


def _locations(nodes: list[FieldNode]) -> list[dict[str, Any]] | None:
    found = []
    for node in nodes:
        if node.loc is not None:
            found.append(
                {"line": node.loc.start_token.line, "column": node.loc.start_token.column, "sourceName": None}
            )
    return found or None


def selection_set_list(info: GraphQLResolveInfo[RequestContext]) -> list[str]:
    """AppSync's ``info.selectionSetList``: the selected fields' paths (``items``, ``items/id``),
    by field name rather than alias, fragments expanded, each once."""
    paths: list[str] = []

    def visit(selection_set: SelectionSetNode | None, prefix: str) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                path = f"{prefix}{name}"
                if path not in paths:
                    paths.append(path)
                visit(selection.selection_set, f"{path}/")
            elif isinstance(selection, InlineFragmentNode):
                visit(selection.selection_set, prefix)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = info.fragments.get(selection.name.value)
                visit(fragment.selection_set if fragment else None, prefix)

    for node in info.field_nodes:
        visit(node.selection_set, "")
    return paths


def selection_set_graphql(info: GraphQLResolveInfo[RequestContext]) -> str:
    """AppSync's ``info.selectionSetGraphQL``: the field's selection set, printed."""
    selection_set = info.field_nodes[0].selection_set
    return print_ast(selection_set) if selection_set is not None else ""
