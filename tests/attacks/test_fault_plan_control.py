"""The fault plan (``localcloud.faults``) is the test harness's control, held in the local cloud's
process: no request to any of its endpoints - moto's test API, its ``x-moto-*`` headers, a guessed
admin path, the GraphQL or loyalty API - can set, clear or read it, signed as the administrator or not."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.support.local_cloud import Fault, FaultRule, LocalCloud, sigv4

pytestmark = pytest.mark.local_cloud

TIMEOUT = 30
RULE = FaultRule("dynamodb", "GetItem", "*:table/never-a-table-*", Fault.THROTTLE)
ATTEMPT = (
    f'{{"rules": [{{"service": "*", "operation": "*", "resource": "*", "fault": "throttle"}}], "seed": {7}}}'
)
PATHS = [
    "/moto-api/faults",
    "/moto-api/reset",
    "/moto-api/data.json",
    "/_localcloud/faults",
    "/faults",
    "/admin/faults",
    "/__faults__",
]


def endpoints(cloud: LocalCloud) -> list[str]:
    return [url for url in (cloud.endpoints.aws, cloud.endpoints.graphql, cloud.endpoints.loyalty_api) if url]


def test_no_endpoint_sets_clears_or_reads_the_fault_plan(cloud: LocalCloud) -> None:
    cloud.faults.replace([RULE], seed=1)
    answers = []
    for base in endpoints(cloud):
        for path in PATHS:
            for method in ("GET", "POST", "PUT", "DELETE"):
                answers.append(requests.request(method, f"{base}{path}", data=ATTEMPT, timeout=TIMEOUT))
                answers.append(
                    requests.request(
                        method,
                        f"{base}{path}",
                        data=ATTEMPT,
                        headers={"x-moto-faults": ATTEMPT, "Content-Type": "application/json"},
                        auth=sigv4(cloud.admin_credentials, "dynamodb"),
                        timeout=TIMEOUT,
                    )
                )

    assert answers
    assert all(answer.status_code >= 400 for answer in answers), [a.status_code for a in answers]
    assert not [answer.text for answer in answers if "never-a-table" in answer.text]
    # The plan is the one the harness set, and it injected nothing for any of those requests.
    assert cloud.faults.rules == [RULE]
    assert cloud.faults.injected == []
    # An administrator's own request is unaffected: no rule the requests sent took hold.
    assert cloud.client("dynamodb").list_tables()["TableNames"]
    cloud.faults.clear()


def test_a_plan_set_by_the_harness_is_what_is_injected(cloud: LocalCloud) -> None:
    """The other side: the control works from the harness, so the refusals above mean something."""
    table = f"never-a-table-{uuid.uuid4().hex[:8]}"
    dynamodb = cloud.client("dynamodb")
    cloud.faults.replace([RULE], seed=1)
    try:
        with pytest.raises(dynamodb.exceptions.ProvisionedThroughputExceededException):
            dynamodb.get_item(TableName=table, Key={"id": {"S": "x"}})
    finally:
        cloud.faults.clear()
