"""The local APPSYNC_JS runtime: the util shim, AppSync's error semantics, the sandbox and the process."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from localcloud.appsync.resolver_runtime import (
    AppSyncError,
    EarlyReturn,
    NodeNotFoundError,
    ResolverCodeError,
    ResolverRuntime,
    ResolverRuntimeError,
)
from tests.localcloud.resolver_contexts import UUID_V4, context, customer


@pytest.fixture
def code(tmp_path: Path) -> Any:
    """Writes a resolver file with the given source and returns its path."""

    def write(source: str, name: str = "resolver.js") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return path

    return write


def test_a_handler_returns_its_value(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        export function request(ctx) {
          return { id: ctx.args.id, same: ctx.args === ctx.arguments, field: ctx.info.fieldName };
        }
        """
    )

    result = runtime.evaluate(path, "request", context("Query", "getFlight", arguments={"id": "x"}))

    assert result.ok
    assert result.value == {"id": "x", "same": True, "field": "getFlight"}
    assert result.error is None
    assert result.early_return is None


def test_util_error_ends_the_evaluation_with_all_its_fields(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function request(ctx) {
          util.error('Flight not found', 'NotFound', { id: 'x' }, { hint: 'search first' });
          console.log('never reached');
          return { reached: true };
        }
        """
    )

    result = runtime.evaluate(path, "request", context("Query", "getFlight"))

    assert not result.ok
    assert result.value is None
    assert result.error == AppSyncError("Flight not found", "NotFound", {"id": "x"}, {"hint": "search first"})
    assert result.logs == ()


def test_util_error_without_a_type(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function response(ctx) { util.error('failed'); }
        """
    )

    result = runtime.evaluate(path, "response", context("Query", "getFlight"))

    assert result.error == AppSyncError("failed", None)


def test_util_append_error_lets_the_evaluation_go_on(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function response(ctx) {
          util.appendError('partial result', 'Partial');
          util.appendError('another one');
          return ctx.result;
        }
        """
    )

    result = runtime.evaluate(path, "response", context("Query", "listBookings", result={"items": []}))

    assert result.ok
    assert result.value == {"items": []}
    assert result.appended_errors == (
        AppSyncError("partial result", "Partial"),
        AppSyncError("another one", None),
    )


def test_util_unauthorized_names_the_field_as_appsync_does(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function request(ctx) { util.unauthorized(); }
        """
    )

    result = runtime.evaluate(path, "request", context("Query", "getLoyalty"))

    assert result.error == AppSyncError("Not Authorized to access getLoyalty on type Query", "Unauthorized")


def test_runtime_early_return_skips_with_a_value(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { runtime } from '@aws-appsync/utils';
        export function request(ctx) {
          runtime.earlyReturn({ cached: true }, { skipTo: 'END' });
          return { cached: false };
        }
        """
    )

    result = runtime.evaluate(path, "request", context("Mutation", "processBooking"))

    assert result.value == {"cached": True}
    assert result.early_return == EarlyReturn(skip_to="END")


def test_util_auto_id_is_a_random_uuid(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function request(ctx) { return [util.autoId(), util.autoId()]; }
        """
    )

    first, second = runtime.evaluate(path, "request", context("Mutation", "processBooking")).value

    assert re.match(UUID_V4, first)
    assert re.match(UUID_V4, second)
    assert first != second


def test_util_time_reads_the_given_clock(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function request(ctx) {
          return [util.time.nowISO8601(), util.time.nowEpochSeconds(), util.time.nowEpochMilliSeconds()];
        }
        """
    )
    now = datetime(2030, 1, 1, 12, 0, 0, 250_000, tzinfo=UTC)

    result = runtime.evaluate(path, "request", context("Query", "getFlight"), now=now)

    assert result.value == ["2030-01-01T12:00:00.250Z", 1_893_499_200, 1_893_499_200_250]


def test_util_dynamodb_writes_values_in_the_typed_form(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function request(ctx) {
          return util.dynamodb.toMapValues({
            id: 'SA101', seats: 3, price: 129.5, open: true, note: null, skipped: undefined,
            legs: ['LGW', 2], crew: { captain: 'Ada' },
          });
        }
        """
    )

    result = runtime.evaluate(path, "request", context("Query", "getFlight"))

    assert result.value == {
        "id": {"S": "SA101"},
        "seats": {"N": "3"},
        "price": {"N": "129.5"},
        "open": {"BOOL": True},
        "note": {"NULL": True},
        "legs": {"L": [{"S": "LGW"}, {"N": "2"}]},
        "crew": {"M": {"captain": {"S": "Ada"}}},
    }


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("^[A-Z]{3}$", "LGW", True),
        ("[A-Z]{3}", "LGW", True),
        # Java's Pattern.matches, which AppSync uses, matches the whole value, not a part of it.
        ("[A-Z]{3}", "LGWX", False),
        ("^[A-Z]{3}$", "LGW\n", False),
    ],
)
def test_util_matches_matches_the_whole_value(
    runtime: ResolverRuntime, code: Any, pattern: str, value: str, matches: bool
) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function request(ctx) { return util.matches(ctx.args.pattern, ctx.args.value); }
        """
    )

    result = runtime.evaluate(
        path, "request", context("Query", "searchFlights", arguments={"pattern": pattern, "value": value})
    )

    assert result.value is matches


def test_the_stash_comes_back_changed(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        export function request(ctx) {
          ctx.stash.bookingId = 'b-1';
          return ctx.stash.before;
        }
        """
    )

    result = runtime.evaluate(path, "request", context("Mutation", "processBooking", stash={"before": 1}))

    assert result.value == 1
    assert result.stash == {"before": 1, "bookingId": "b-1"}


def test_console_output_is_kept_as_logs(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        export function request(ctx) {
          console.log('looking up', ctx.args.id);
          console.error({ id: ctx.args.id });
          return null;
        }
        """
    )

    result = runtime.evaluate(path, "request", context("Query", "getFlight", arguments={"id": "x"}))

    assert result.logs == ("looking up x", "{ id: 'x' }")
    assert result.value is None


def test_a_handler_returning_nothing_gives_none(runtime: ResolverRuntime, code: Any) -> None:
    path = code("export function response(ctx) {}\n")

    assert runtime.evaluate(path, "response", context("Query", "getFlight")).value is None


@pytest.mark.parametrize(
    ("call", "feature"),
    [
        ("util.autoUlid()", "util.autoUlid()"),
        ("util.time.nowFormatted('yyyy')", "util.time.nowFormatted()"),
        ("util.dynamodb.toStringSet(['a'])", "util.dynamodb.toStringSet()"),
        ("util.transform.toDynamoDBFilterExpression({})", "util.transform.toDynamoDBFilterExpression()"),
        ("extensions.evictFromApiCache('Query', 'getFlight', {})", "extensions.evictFromApiCache()"),
    ],
)
def test_appsync_features_the_runtime_lacks_fail_clearly(
    runtime: ResolverRuntime, code: Any, call: str, feature: str
) -> None:
    path = code(
        f"""
        import {{ util, extensions }} from '@aws-appsync/utils';
        export function request(ctx) {{ return {call}; }}
        """
    )

    with pytest.raises(ResolverCodeError) as failure:
        runtime.evaluate(path, "request", context("Query", "getFlight"))

    assert failure.value.name == "NotSupportedError"
    assert failure.value.message == f"not supported by the local runtime: {feature}"


def test_what_appsync_does_not_have_is_missing_here_too(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { util } from '@aws-appsync/utils';
        export function request(ctx) { return util.autoUUID(); }
        """
    )

    with pytest.raises(ResolverCodeError) as failure:
        runtime.evaluate(path, "request", context("Query", "getFlight"))

    assert failure.value.name == "TypeError"


def test_the_dynamodb_helper_module_is_not_supported(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { get } from '@aws-appsync/utils/dynamodb';
        export function request(ctx) { return get({ key: { id: ctx.args.id } }); }
        """
    )

    with pytest.raises(
        ResolverCodeError, match="not supported by the local runtime: the @aws-appsync/utils/dynamodb"
    ):
        runtime.evaluate(path, "request", context("Query", "getFlight"))


def test_code_may_import_appsync_modules_only(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        import { readFileSync } from 'node:fs';
        export function request(ctx) { return readFileSync('/etc/hostname', 'utf8'); }
        """
    )

    with pytest.raises(
        ResolverCodeError, match='can import only from @aws-appsync/utils, not from "node:fs"'
    ):
        runtime.evaluate(path, "request", context("Query", "getFlight"))


@pytest.mark.parametrize(
    "expression", ["process.env", "require('fs')", "fetch('http://127.0.0.1')", "setTimeout"]
)
def test_code_has_no_nodejs_apis(runtime: ResolverRuntime, code: Any, expression: str) -> None:
    path = code(f"export function request(ctx) {{ return {expression}; }}\n")

    with pytest.raises(ResolverCodeError) as failure:
        runtime.evaluate(path, "request", context("Query", "getFlight"))

    assert failure.value.name == "ReferenceError"


def test_code_cannot_generate_code(runtime: ResolverRuntime, code: Any) -> None:
    path = code("export function request(ctx) { return eval('1 + 1'); }\n")

    with pytest.raises(ResolverCodeError) as failure:
        runtime.evaluate(path, "request", context("Query", "getFlight"))

    assert failure.value.name == "EvalError"


def test_the_environment_is_read_only(runtime: ResolverRuntime, code: Any) -> None:
    path = code("export function request(ctx) { ctx.env.LOYALTY_API_STAGE = 'prod'; return ctx.env; }\n")

    with pytest.raises(ResolverCodeError) as failure:
        runtime.evaluate(path, "request", context("Query", "getLoyalty"))

    assert failure.value.name == "TypeError"


def test_an_async_handler_is_refused(runtime: ResolverRuntime, code: Any) -> None:
    path = code("export async function request(ctx) { return 1; }\n")

    with pytest.raises(ResolverCodeError, match="returns a Promise"):
        runtime.evaluate(path, "request", context("Query", "getFlight"))


def test_each_evaluation_starts_afresh(runtime: ResolverRuntime, code: Any) -> None:
    path = code(
        """
        let calls = 0;
        export function request(ctx) { calls += 1; return calls; }
        """
    )

    values = [runtime.evaluate(path, "request", context("Query", "getFlight")).value for _ in range(3)]

    assert values == [1, 1, 1]


def test_an_edited_file_is_read_again(runtime: ResolverRuntime, code: Any) -> None:
    path = code("export function request(ctx) { return 'first'; }\n")
    assert runtime.evaluate(path, "request", context("Query", "getFlight")).value == "first"

    code("export function request(ctx) { return 'second'; }\n")

    assert runtime.evaluate(path, "request", context("Query", "getFlight")).value == "second"


def test_a_syntax_error_is_a_code_error(runtime: ResolverRuntime, code: Any) -> None:
    path = code("export function request(ctx) { return {; }\n")

    with pytest.raises(ResolverCodeError) as failure:
        runtime.evaluate(path, "request", context("Query", "getFlight"))

    assert failure.value.name == "SyntaxError"
    assert failure.value.code_path == path


def test_a_missing_handler_is_a_code_error(runtime: ResolverRuntime, code: Any) -> None:
    path = code("export function request(ctx) { return {}; }\n")

    with pytest.raises(ResolverCodeError, match="does not export a response function"):
        runtime.evaluate(path, "response", context("Query", "getFlight"))


def test_a_context_appsync_could_not_build_is_refused(runtime: ResolverRuntime, code: Any) -> None:
    path = code("export function request(ctx) { return ctx.identity; }\n")

    with pytest.raises(ValueError, match='context has no "identiy"'):
        runtime.evaluate(path, "request", {"identiy": customer()})
    # The runtime is still there for the next evaluation.
    assert runtime.evaluate(path, "request", {"identity": None}).value is None


def test_a_missing_file_is_refused(runtime: ResolverRuntime, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        runtime.evaluate(tmp_path / "nothing.js", "request", {})


def test_a_runaway_handler_is_stopped(code: Any) -> None:
    path = code("export function request(ctx) { while (true) {} }\n")

    with ResolverRuntime(evaluation_timeout_ms=200) as runtime:
        with pytest.raises(ResolverCodeError) as failure:
            runtime.evaluate(path, "request", context("Query", "getFlight"))
        assert failure.value.name == "TimeoutError"
        # Stopping the handler does not stop the runtime.
        assert runtime.running


def test_leaving_the_context_stops_node(code: Any) -> None:
    path = code("export function request(ctx) { return 1; }\n")
    with ResolverRuntime() as runtime:
        assert runtime.node_version is not None
        assert runtime.evaluate(path, "request", {}).value == 1

    assert not runtime.running
    with pytest.raises(ResolverRuntimeError, match="not running"):
        runtime.evaluate(path, "request", {})


def test_a_missing_node_is_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(NodeNotFoundError, match=r"Node\.js was not found"):
        ResolverRuntime(node=str(tmp_path / "no-such-node")).start()


def test_a_node_process_that_died_is_replaced_at_the_next_evaluation(code: Any) -> None:
    """A long-running local cloud must not lose GraphQL for good because Node.js died once (killed,
    out of memory, or stopped for not answering in time)."""
    path = code("export function request(ctx) { return 1; }\n")
    with ResolverRuntime() as runtime:
        first = runtime._process
        assert first is not None
        first.kill()
        first.wait(timeout=10)

        assert runtime.evaluate(path, "request", {}).value == 1
        assert runtime.running
        assert runtime.restarts == 1
        assert runtime._process is not first
