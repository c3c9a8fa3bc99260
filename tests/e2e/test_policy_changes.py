"""The local cloud follows template.yaml: change a policy in a copy of it, and the outcome changes.

Each test deploys a variant of the template into its own local cloud (nothing is copied by hand:
the variant is the real template with one statement changed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.e2e.conftest import create_principal, require_build, signed
from tests.support.local_cloud import Credentials, LocalCloud, prewarmed_cloud
from tests.support.template import REPOSITORY_ROOT, load_template

pytestmark = pytest.mark.local_cloud
TIMEOUT = 30


class _CloudFormationDumper(yaml.SafeDumper):
    """Writes the intrinsic functions back in their long form, which CloudFormation also accepts."""


@contextmanager
def cloud_of_variant(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Iterator[LocalCloud]:
    require_build()
    template = load_template(REPOSITORY_ROOT / "template.yaml")
    change(template)
    (tmp_path / "graphql").symlink_to(REPOSITORY_ROOT / "graphql")
    (tmp_path / "statemachine").symlink_to(REPOSITORY_ROOT / "statemachine")
    path = tmp_path / "template.yaml"
    path.write_text(yaml.dump(template, Dumper=_CloudFormationDumper, sort_keys=False), encoding="utf-8")
    with prewarmed_cloud(template_path=path).start() as cloud:
        yield cloud


def get_loyalty(cloud: LocalCloud, credentials: Credentials) -> requests.Response:
    return requests.get(
        f"{cloud.endpoints.loyalty_api}/loyalty/{uuid.uuid4()}/get", auth=signed(credentials), timeout=TIMEOUT
    )


def test_narrowing_getloyaltys_grant_breaks_it(tmp_path: Path) -> None:
    def drop_get_item(template: dict[str, Any]) -> None:
        statement = template["Resources"]["GetLoyaltyFunction"]["Properties"]["Policies"][0]["Statement"][0]
        statement["Action"] = "dynamodb:Query"

    with cloud_of_variant(tmp_path, drop_get_item) as cloud:
        response = get_loyalty(cloud, cloud.role_credentials("LoyaltyDataSourceRole"))
        refusals = [r for r in cloud.enforcement.records if not r.allowed]

    assert response.status_code == 502  # the function failed: its role may no longer GetItem
    assert [(r.principal_arn.rsplit("/", 1)[-1], r.action) for r in refusals] == [
        ("airline-local-GetLoyaltyFunctionRole", "dynamodb:GetItem")
    ]


def test_removing_the_apis_deny_lets_an_over_granted_role_in(tmp_path: Path) -> None:
    def drop_deny(template: dict[str, Any]) -> None:
        policy = template["Resources"]["LoyaltyApi"]["Properties"]["Auth"]["ResourcePolicy"]
        policy["CustomStatements"] = [s for s in policy["CustomStatements"] if s["Effect"] != "Deny"]

    with cloud_of_variant(tmp_path, drop_deny) as cloud:
        broad = create_principal(cloud, "broad-role", ["execute-api:Invoke"])
        response = get_loyalty(cloud, broad)

    assert response.status_code == 200, "without the Deny, any role granted execute-api:Invoke on * gets in"
