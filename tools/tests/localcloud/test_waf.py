"""The local WAF in front of AppSync: the rules the stack's web ACL uses, evaluated as WAF does, and a
web ACL with anything else refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.appsync.waf import BODY_INSPECTION_LIMIT, WebAcl, WebAclDefinitionError, WebRequest

BOOKING_TWICE = "processBooking[\\s\\S]*processBooking"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rate_rule(limit: int, window: int = 300) -> dict[str, Any]:
    return {
        "Name": "RequestsPerIp",
        "Priority": 0,
        "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "TooMany"}}},
        "Statement": {
            "RateBasedStatement": {
                "Limit": str(limit),
                "EvaluationWindowSec": window,
                "AggregateKeyType": "IP",
            }
        },
        "VisibilityConfig": {},
    }


def regex_rule(**json_body: Any) -> dict[str, Any]:
    field = {
        "MatchPattern": {"IncludedPaths": ["/query"]},
        "MatchScope": "VALUE",
        "InvalidFallbackBehavior": "MATCH",
        "OversizeHandling": "MATCH",
        **json_body,
    }
    return {
        "Name": "OneBookingPerRequest",
        "Priority": 1,
        "Action": {"Block": {"CustomResponse": {"ResponseCode": 400, "CustomResponseBodyKey": "OneBooking"}}},
        "Statement": {
            "RegexMatchStatement": {
                "RegexString": BOOKING_TWICE,
                "FieldToMatch": {"JsonBody": field},
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        },
    }


def acl(*rules: dict[str, Any], default: str = "Allow") -> dict[str, Any]:
    return {
        "Name": "graphql",
        "DefaultAction": {default: {}},
        "CustomResponseBodies": {
            "TooMany": {
                "ContentType": "APPLICATION_JSON",
                "Content": '{"errors":[{"errorType":"RateLimitExceeded"}]}',
            },
            "OneBooking": {
                "ContentType": "APPLICATION_JSON",
                "Content": '{"errors":[{"errorType":"OneBooking"}]}',
            },
        },
        "Rules": list(rules),
    }


def request(query: str = '{ getFlight(id: "x") { id } }', ip: str = "203.0.113.7") -> WebRequest:
    return WebRequest(source_ip=ip, body=json.dumps({"query": query}).encode())


def test_an_address_is_blocked_once_it_goes_over_the_limit_in_the_window() -> None:
    clock = Clock()
    web_acl = WebAcl(acl(rate_rule(limit=3)), clock)

    answers = [web_acl.inspect(request()) for _ in range(4)]

    assert answers[:3] == [None, None, None]
    assert answers[3] is not None
    assert (answers[3].status, answers[3].rule, answers[3].content_type) == (
        429,
        "RequestsPerIp",
        "application/json",
    )
    assert json.loads(answers[3].body) == {"errors": [{"errorType": "RateLimitExceeded"}]}


def test_each_address_has_its_own_count() -> None:
    web_acl = WebAcl(acl(rate_rule(limit=1)), Clock())

    assert web_acl.inspect(request(ip="198.51.100.1")) is None
    assert web_acl.inspect(request(ip="198.51.100.2")) is None
    assert web_acl.inspect(request(ip="198.51.100.1")) is not None


def test_blocked_requests_count_and_old_ones_leave_the_window() -> None:
    clock = Clock()
    web_acl = WebAcl(acl(rate_rule(limit=2, window=60)), clock)
    for _ in range(2):
        web_acl.inspect(request())

    clock.now += 30
    assert web_acl.inspect(request()) is not None  # third within the window
    clock.now += 31  # the first two are now older than 60 s; the blocked one is not
    assert web_acl.inspect(request()) is None
    assert web_acl.inspect(request()) is not None


@pytest.mark.parametrize(
    "query",
    [
        "mutation { a: processBooking(input: $i) { id } b: processBooking(input: $i) { id } }",
        "fragment F on Mutation { b: processBooking(input: $i) { id } }\n"
        "mutation { processBooking(input: $i) { id } ...F }",
        "mutation {\n  processBooking(input: $i) { id }\n  # processBooking in a comment counts too\n}",
    ],
)
def test_a_query_naming_the_booking_mutation_twice_is_blocked(query: str) -> None:
    blocked = WebAcl(acl(regex_rule())).inspect(request(query))

    assert blocked is not None
    assert (blocked.status, blocked.rule) == (400, "OneBookingPerRequest")


def test_json_escapes_do_not_hide_a_field_name() -> None:
    body = (
        b'{"query": "mutation { a: \\u0070rocessBooking(input: $i) { id }'
        b' b: processBooking(input: $i) { id } }"}'
    )

    assert WebAcl(acl(regex_rule())).inspect(WebRequest("203.0.113.7", body)) is not None


def test_one_booking_and_other_fields_pass() -> None:
    query = "mutation { processBooking(input: $i) { id } }"
    variables = {"flight": "processBooking processBooking"}  # outside /query: not inspected
    body = json.dumps({"query": query, "variables": variables}).encode()

    assert WebAcl(acl(regex_rule())).inspect(WebRequest("203.0.113.7", body)) is None


@pytest.mark.parametrize(
    ("fallback", "blocked"), [("MATCH", True), ("NO_MATCH", False), ("EVALUATE_AS_STRING", True)]
)
def test_a_body_that_is_not_json_follows_the_fallback(fallback: str, blocked: bool) -> None:
    body = b'{"query": "processBooking processBooking"'  # truncated JSON

    web_acl = WebAcl(acl(regex_rule(InvalidFallbackBehavior=fallback)))

    assert (web_acl.inspect(WebRequest("203.0.113.7", body)) is not None) is blocked


@pytest.mark.parametrize(("handling", "blocked"), [("MATCH", True), ("NO_MATCH", False), ("CONTINUE", False)])
def test_a_body_over_the_inspection_limit_follows_the_oversize_handling(handling: str, blocked: bool) -> None:
    query = "mutation { processBooking(input: $i) { id } }" + " " * BODY_INSPECTION_LIMIT + "processBooking"

    web_acl = WebAcl(acl(regex_rule(OversizeHandling=handling, InvalidFallbackBehavior="NO_MATCH")))

    assert (web_acl.inspect(request(query)) is not None) is blocked


def test_rules_run_in_priority_order_and_count_does_not_stop_them() -> None:
    counting = {**rate_rule(limit=0), "Action": {"Count": {}}, "Priority": 5}
    web_acl = WebAcl(acl(counting, regex_rule()))

    assert web_acl.inspect(request()) is None
    blocked = web_acl.inspect(request("processBooking processBooking"))
    assert blocked is not None
    assert blocked.rule == "OneBookingPerRequest"


def test_a_default_block_without_a_custom_response_is_a_403() -> None:
    blocked = WebAcl(acl(default="Block")).inspect(request())

    assert blocked is not None
    assert blocked.status == 403
    assert json.loads(blocked.body)["errors"][0]["errorType"] == "WAFForbiddenException"


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"ByteMatchStatement": {}}, "does not emulate ByteMatchStatement"),
        ({"ManagedRuleGroupStatement": {"VendorName": "AWS"}}, "does not emulate ManagedRuleGroupStatement"),
        (
            {"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "FORWARDED_IP"}},
            "aggregate by IP only",
        ),
        (
            {"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "IP", "ScopeDownStatement": {}}},
            "ScopeDownStatement",
        ),
    ],
)
def test_a_web_acl_with_what_the_local_waf_does_not_emulate_is_refused(
    statement: dict[str, Any], message: str
) -> None:
    rule = {"Name": "r", "Priority": 0, "Action": {"Block": {}}, "Statement": statement}

    with pytest.raises(WebAclDefinitionError, match=message):
        WebAcl(acl(rule))


def test_text_transformations_and_implicit_json_fallbacks_are_refused() -> None:
    transformed = regex_rule()
    transformed["Statement"]["RegexMatchStatement"]["TextTransformations"] = [
        {"Priority": 0, "Type": "LOWERCASE"}
    ]
    without_fallback = regex_rule()
    del without_fallback["Statement"]["RegexMatchStatement"]["FieldToMatch"]["JsonBody"][
        "InvalidFallbackBehavior"
    ]

    with pytest.raises(WebAclDefinitionError, match="text transformations"):
        WebAcl(acl(transformed))
    with pytest.raises(WebAclDefinitionError, match="InvalidFallbackBehavior"):
        WebAcl(acl(without_fallback))
