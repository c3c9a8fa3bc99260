"""How the local AppSync runs resolvers: ctx, util.error and appendError, earlyReturn, pipelines,
auth directives, AppSync's scalars and the depth limit.

A small API with resolvers of its own (written to a temporary directory) is executed directly by the
engine, with callers made up for each test; its data source is never called, as every resolver
returns early.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import graphql
from iam_eval import Principal
from localcloud.appsync import engine as engine_module
from localcloud.appsync.auth import Authenticated, Authenticator, StaticKeys
from localcloud.appsync.datasources import DataSources
from localcloud.appsync.definition import (
    ApiDefinition,
    AppSyncFunction,
    AuthenticationType,
    AuthProvider,
    DefinitionError,
    DynamoDbDataSource,
    PipelineResolver,
    UnitResolver,
    UserPoolConfig,
)
from localcloud.appsync.engine import GraphQLEngine, RequestContext
from localcloud.appsync.resolver_runtime import ResolverRuntime
from localcloud.identity import Caller, Credentials
from stacktools.project import ACCOUNT_ID, REGION

API_ID = "testapi"
POOL = UserPoolConfig(user_pool_id=f"{REGION}_TestPool", aws_region=REGION)
SCHEMA = """
type Query {
  context(tag: String, when: AWSDateTime): AWSJSON
  appended: String
  failing: String
  staffOnly: String @aws_cognito_user_pools(cognito_groups: ["Staff"])
  machines: String @aws_iam
  pipeline(skipTo: String): AWSJSON
  day(date: AWSDate!): AWSDate
  badDay: AWSDate
  nested: Outer
}

type Outer {
  inner: Inner
  label: String
}

type Inner {
  value: String
}
"""
RESOLVERS = {
    # Returns what it was given, as JSON, without calling its data source.
    "context.js": """
import { runtime } from '@aws-appsync/utils';
export function request(ctx) {
  runtime.earlyReturn({
    args: ctx.args, identity: ctx.identity, source: ctx.source, info: ctx.info, env: ctx.env,
    headers: ctx.request.headers, stash: ctx.stash, prev: ctx.prev,
  });
}
export function response(ctx) { return ctx.result; }
""",
    "appended.js": """
import { util, runtime } from '@aws-appsync/utils';
export function request(ctx) {
  util.appendError('Some of it is missing', 'PartialResult', { missing: 1 }, { hint: 'retry' });
  runtime.earlyReturn('what there is');
}
export function response(ctx) { return ctx.result; }
""",
    "failing.js": """
import { util } from '@aws-appsync/utils';
export function request(ctx) { util.error('It went wrong', 'Custom', { a: 1 }, { b: 2 }); }
export function response(ctx) { return ctx.result; }
""",
    "constant.js": """
import { runtime } from '@aws-appsync/utils';
export function request(ctx) { runtime.earlyReturn(ctx.info.fieldName + ' answered'); }
export function response(ctx) { return ctx.result; }
""",
    "before-after.js": """
export function request(ctx) { ctx.stash.trail = ['before']; return { started: true }; }
export function response(ctx) {
  return { trail: ctx.stash.trail, prev: ctx.prev.result, result: ctx.result };
}
""",
    "first.js": """
import { runtime } from '@aws-appsync/utils';
export function request(ctx) {
  ctx.stash.trail.push('first');
  const options = ctx.args.skipTo ? { skipTo: ctx.args.skipTo } : undefined;
  runtime.earlyReturn({ from: 'first', prev: ctx.prev.result }, options);
}
export function response(ctx) { return ctx.result; }
""",
    "second.js": """
import { runtime } from '@aws-appsync/utils';
export function request(ctx) {
  ctx.stash.trail.push('second');
  runtime.earlyReturn({ from: 'second', prev: ctx.prev.result });
}
export function response(ctx) { return ctx.result; }
""",
    "day.js": """
import { runtime } from '@aws-appsync/utils';
export function request(ctx) { runtime.earlyReturn(ctx.args.date); }
export function response(ctx) { return ctx.result; }
""",
    "bad-day.js": """
import { runtime } from '@aws-appsync/utils';
export function request(ctx) { runtime.earlyReturn('31/01/2030'); }
export function response(ctx) { return ctx.result; }
""",
    "nested.js": """
import { runtime } from '@aws-appsync/utils';
export function request(ctx) {
  runtime.earlyReturn({ inner: { value: 'deep' }, label: JSON.stringify(ctx.info.selectionSetList) });
}
export function response(ctx) { return ctx.result; }
""",
}


def customer(*groups: str) -> Authenticated:
    sub = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"
    return Authenticated(
        mode=AuthenticationType.AMAZON_COGNITO_USER_POOLS,
        identity={"sub": sub, "username": sub, "groups": list(groups) or None, "sourceIp": ["127.0.0.1"]},
        groups=frozenset(groups),
    )


def machine(*allowed_fields: str) -> Authenticated:
    principal = Principal.user(f"arn:aws:iam::{ACCOUNT_ID}:user/robot")
    resources = [
        f"arn:aws:appsync:{REGION}:{ACCOUNT_ID}:apis/{API_ID}/types/Query/fields/{name}"
        for name in allowed_fields
    ]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "appsync:GraphQL", "Resource": resources}],
    }
    return Authenticated(
        mode=AuthenticationType.AWS_IAM,
        identity={"userArn": principal.arn, "sourceIp": ["127.0.0.1"]},
        caller=Caller(principal, (policy,) if allowed_fields else (), "secret", None, None),
    )


class NoDirectory:
    """No caller and no role: the resolvers here never reach a data source."""

    def caller_for(self, access_key_id: str) -> Caller | None:
        return None

    def role_credentials(self, role_arn: str, session_name: str) -> Credentials:
        raise AssertionError("no data source may be called")

    def service_role_credentials(
        self, role_arn: str, service: str, session_name: str, context: Any = None
    ) -> Credentials:
        raise AssertionError("no data source may be called")


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("resolvers")
    for name, text in RESOLVERS.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def definition(code: Path) -> ApiDefinition:
    def unit(field: str, file: str) -> UnitResolver:
        return UnitResolver("Query", field, "Items", code / file)

    return ApiDefinition(
        api_id=API_ID,
        account_id=ACCOUNT_ID,
        region=REGION,
        schema=SCHEMA,
        default_auth=AuthProvider(AuthenticationType.AMAZON_COGNITO_USER_POOLS, POOL),
        additional_auth=(AuthProvider(AuthenticationType.AWS_IAM),),
        environment={"STAGE": "test"},
        introspection=True,
        data_sources=(DynamoDbDataSource("Items", f"arn:aws:iam::{ACCOUNT_ID}:role/items", "items", REGION),),
        functions=(
            AppSyncFunction("fn-1", "first", "Items", code / "first.js"),
            AppSyncFunction("fn-2", "second", "Items", code / "second.js"),
        ),
        resolvers=(
            unit("context", "context.js"),
            unit("appended", "appended.js"),
            unit("failing", "failing.js"),
            unit("staffOnly", "constant.js"),
            unit("machines", "constant.js"),
            unit("day", "day.js"),
            unit("badDay", "bad-day.js"),
            unit("nested", "nested.js"),
            PipelineResolver("Query", "pipeline", ("fn-1", "fn-2"), code / "before-after.js"),
        ),
    )


@pytest.fixture(scope="module")
def runtime() -> Iterator[ResolverRuntime]:
    with ResolverRuntime() as resolver_runtime:
        yield resolver_runtime


def engine_for(definition: ApiDefinition, runtime: ResolverRuntime) -> GraphQLEngine:
    directory = NoDirectory()
    return GraphQLEngine(
        definition,
        runtime,
        DataSources(definition, directory, aws_endpoint_url="http://127.0.0.1:9", http_endpoint=str),
        Authenticator(definition, directory, keys=StaticKeys({})),
    )


@pytest.fixture(scope="module")
def engine(definition: ApiDefinition, runtime: ResolverRuntime) -> GraphQLEngine:
    return engine_for(definition, runtime)


def run(
    engine: GraphQLEngine,
    query: str,
    auth: Authenticated | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    request = RequestContext(auth=auth or customer(), headers={"x-custom": "yes"}, source_ip="127.0.0.1")
    return engine.execute({"query": query, "variables": variables}, request)


# ---------------------------------------------------------------------- ctx


def test_the_resolver_sees_the_context_appsync_builds(engine: GraphQLEngine) -> None:
    query = 'query Q($when: AWSDateTime) { context(tag: "t1", when: $when) }'

    document = run(engine, query, variables={"when": "2030-01-01T10:00:00Z"})

    context = json.loads(document["data"]["context"])
    assert context == {
        "args": {"tag": "t1", "when": "2030-01-01T10:00:00Z"},
        "identity": customer().identity,
        "source": None,
        "info": {
            "fieldName": "context",
            "parentTypeName": "Query",
            "variables": {"when": "2030-01-01T10:00:00Z"},
            "selectionSetList": [],
            "selectionSetGraphQL": "",
        },
        "env": {"STAGE": "test"},
        "headers": {"x-custom": "yes"},
        "stash": {},
        "prev": None,
    }


def test_the_selection_set_list_names_fields_by_name_with_fragments_expanded(engine: GraphQLEngine) -> None:
    query = "{ nested { label alias: inner { value } ...More } } fragment More on Outer { inner { value } }"

    document = run(engine, query)

    nested = document["data"]["nested"]
    assert json.loads(nested["label"]) == ["label", "inner", "inner/value"]
    assert nested["alias"] == nested["inner"] == {"value": "deep"}


# ---------------------------------------------------------------------- errors


def test_util_error_nulls_the_field_with_all_four_parts(engine: GraphQLEngine) -> None:
    document = run(engine, "{ failing }")

    assert document == {
        "data": {"failing": None},
        "errors": [
            {
                "path": ["failing"],
                "data": {"a": 1},
                "errorType": "Custom",
                "errorInfo": {"b": 2},
                "locations": [{"line": 1, "column": 3, "sourceName": None}],
                "message": "It went wrong",
            }
        ],
    }


def test_util_append_error_keeps_the_result_and_adds_the_error(engine: GraphQLEngine) -> None:
    document = run(engine, "{ appended }")

    assert document == {
        "data": {"appended": "what there is"},
        "errors": [
            {
                "path": ["appended"],
                "data": {"missing": 1},
                "errorType": "PartialResult",
                "errorInfo": {"hint": "retry"},
                "locations": [{"line": 1, "column": 3, "sourceName": None}],
                "message": "Some of it is missing",
            }
        ],
    }


# ---------------------------------------------------------------------- pipelines and earlyReturn


def test_a_pipeline_runs_its_functions_in_order_sharing_the_stash(engine: GraphQLEngine) -> None:
    document = run(engine, "{ pipeline }")

    second = {"from": "second", "prev": {"from": "first", "prev": {"started": True}}}
    assert json.loads(document["data"]["pipeline"]) == {
        "trail": ["before", "first", "second"],
        "prev": second,
        "result": second,
    }


def test_early_return_to_the_end_skips_the_remaining_functions(engine: GraphQLEngine) -> None:
    document = run(engine, '{ pipeline(skipTo: "END") }')

    first = {"from": "first", "prev": {"started": True}}
    assert json.loads(document["data"]["pipeline"]) == {
        "trail": ["before", "first"],
        "prev": first,
        "result": first,
    }


# ---------------------------------------------------------------------- auth directives


def test_a_group_restricted_field_admits_members_of_the_group_only(engine: GraphQLEngine) -> None:
    assert run(engine, "{ staffOnly }", customer("Staff")) == {"data": {"staffOnly": "staffOnly answered"}}

    refused = run(engine, "{ staffOnly }", customer("Customers"))

    assert refused["data"] == {"staffOnly": None}
    assert [(error["errorType"], error["message"]) for error in refused["errors"]] == [
        ("Unauthorized", "Not Authorized to access staffOnly on type Query")
    ]


def test_an_iam_field_admits_iam_callers_whose_policies_allow_it(engine: GraphQLEngine) -> None:
    assert run(engine, "{ machines }", machine("machines")) == {"data": {"machines": "machines answered"}}
    assert run(engine, "{ machines }", machine("other"))["data"] == {"machines": None}
    assert run(engine, "{ machines }", customer())["data"] == {"machines": None}


def test_a_field_without_directives_admits_the_default_mode_only(engine: GraphQLEngine) -> None:
    document = run(engine, "{ nested { inner { value } } }", machine("nested"))

    assert document["data"] == {"nested": None}
    assert document["errors"][0]["message"] == "Not Authorized to access nested on type Query"
    assert run(engine, "{ nested { inner { value } } }")["data"] == {"nested": {"inner": {"value": "deep"}}}


# ---------------------------------------------------------------------- scalars and limits


def test_aws_date_arguments_and_results_are_checked(engine: GraphQLEngine) -> None:
    assert run(engine, '{ day(date: "2030-01-31") }') == {"data": {"day": "2030-01-31"}}

    invalid = run(engine, '{ day(date: "2030-02-30") }')
    assert invalid["data"] is None
    assert "AWSDate" in invalid["errors"][0]["message"]

    bad_result = run(engine, "{ badDay }")
    assert bad_result["data"] == {"badDay": None}
    assert "is not an extended ISO 8601 date" in bad_result["errors"][0]["message"]


def test_the_depth_limit_nulls_the_fields_below_it(
    definition: ApiDefinition, runtime: ResolverRuntime
) -> None:
    limited = engine_for(dataclasses.replace(definition, query_depth_limit=2), runtime)

    document = run(limited, "{ nested { inner { value } } }")

    assert document["data"] == {"nested": {"inner": {"value": None}}}
    assert [(error["path"], error["errorType"]) for error in document["errors"]] == [
        (["nested", "inner", "value"], "QueryDepthLimitExceeded")
    ]


def test_introspection_works_when_enabled(engine: GraphQLEngine) -> None:
    assert run(engine, "{ __schema { queryType { name } } }") == {
        "data": {"__schema": {"queryType": {"name": "Query"}}}
    }


def test_a_resolver_for_a_field_the_schema_lacks_is_refused(
    definition: ApiDefinition, runtime: ResolverRuntime
) -> None:
    extra = UnitResolver("Query", "missing", "Items", definition.resolvers[0].code)
    broken = dataclasses.replace(definition, resolvers=(*definition.resolvers, extra))

    with pytest.raises(DefinitionError, match=r"Query\.missing: the schema has no such field"):
        engine_for(broken, runtime)


def test_each_query_text_is_parsed_and_validated_once(
    definition: ApiDefinition, runtime: ResolverRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []

    def counting_parse(query: str) -> Any:
        parsed.append(query)
        return graphql.parse(query)

    monkeypatch.setattr(engine_module, "parse", counting_parse)
    fresh = engine_for(definition, runtime)

    first = run(fresh, "{ __schema { queryType { name } } }")
    again = run(fresh, "{ __schema { queryType { name } } }")
    other = run(fresh, "{ __schema { mutationType { name } } }")

    assert first == again == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert "errors" not in other
    assert parsed == ["{ __schema { queryType { name } } }", "{ __schema { mutationType { name } } }"]


def test_a_refused_query_is_refused_alike_every_time_each_response_with_its_own_errors(
    definition: ApiDefinition, runtime: ResolverRuntime
) -> None:
    fresh = engine_for(definition, runtime)

    first = run(fresh, "{ noSuchField }")
    first["errors"][0]["message"] = "changed by a caller"
    again = run(fresh, "{ noSuchField }")

    assert again["data"] is None
    assert [error["message"] for error in again["errors"]] == [
        "Cannot query field 'noSuchField' on type 'Query'."
    ]
    assert run(fresh, "{ unclosed")["errors"][0]["message"].startswith("Syntax Error")
