"""The resolvers keep to what the APPSYNC_JS runtime accepts, checked with AWS's ESLint rules.

The rules run from tools/localcloud/appsync/runtime, whose pinned packages must be installed first:
``npm ci --prefix tools/localcloud/appsync/runtime``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_cloud import RUNTIME_DIRECTORY
from tests.unit.graphql.contexts import GRAPHQL

LINTER = RUNTIME_DIRECTORY / "lint.mjs"


def lint(*targets: Path) -> tuple[int, list[dict[str, Any]]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to lint the resolvers (install Node.js 20 or later)")
    if not (RUNTIME_DIRECTORY / "node_modules" / "@aws-appsync" / "eslint-plugin").is_dir():
        pytest.fail(
            "the AppSync lint rules are not installed: run `npm ci --prefix tools/localcloud/appsync/runtime`"
        )
    completed = subprocess.run(  # noqa: S603 - a fixed program and arguments, no shell
        [node, str(LINTER), *map(str, targets)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return completed.returncode, [json.loads(line) for line in completed.stdout.splitlines()]


def test_the_resolvers_keep_to_the_appsync_js_runtime() -> None:
    returncode, problems = lint(GRAPHQL)

    assert problems == []
    assert returncode == 0


def test_the_rules_catch_what_appsync_would_refuse(tmp_path: Path) -> None:
    # One of each: if the rules were not really applied (a broken config, a missing type program),
    # the clean run above would prove nothing.
    resolver = tmp_path / "refused.js"
    resolver.write_text(
        textwrap.dedent(
            """
            import { util } from '@aws-appsync/utils';

            class Cache {}

            /** @param {import('@aws-appsync/utils').Context} ctx */
            export async function request(ctx) {
              let attempts = 0;
              attempts++;
              while (attempts < 3) { attempts += 1; }
              for (let i = 0; i < 3; i += 1) { continue; }
              try { JSON.parse(ctx.env.STAGE); } catch (error) { util.error('bad'); }
              if (attempts > 5) { throw new Error('too many'); }
              const pattern = /^[A-Z]{3}$/;
              const padded = ctx.env.STAGE.padStart(8);
              const known = 'id' in ctx.args;
              await fetch('http://127.0.0.1/');
              return depth(3);
            }

            function depth(n) { return n === 0 ? 0 : depth(n - 1); }
            function call(fn) { return fn(); }

            export function response(ctx) { call(() => 1); return this; }
            """
        ),
        encoding="utf-8",
    )

    returncode, problems = lint(resolver)

    assert returncode == 1
    assert {problem["rule"] for problem in problems} >= {
        "@aws-appsync/no-classes",
        "@aws-appsync/no-async",
        "@aws-appsync/no-await",
        "@aws-appsync/no-disallowed-unary-operators",
        "@aws-appsync/no-while",
        "@aws-appsync/no-for",
        "@aws-appsync/no-continue",
        "@aws-appsync/no-try",
        "@aws-appsync/no-regex",
        "@aws-appsync/no-disallowed-methods",
        "@aws-appsync/no-in-operator",
        "@aws-appsync/no-recursion",
        "@aws-appsync/no-function-passing",
        "@aws-appsync/no-this",
        "no-restricted-syntax",
        "no-undef",
    }
    assert all(problem["file"] == str(resolver) for problem in problems)
