"""The web app's hosting (web/template.yaml): a private bucket that only its own CloudFront distribution
reads, over TLS, and every response with the security headers the local cloud also sends.

The static gate passes on it with zero findings (suppressions on their resources, with reasons), and
catches the variants a linter can see: public access allowed, plain HTTP, no access logs
(tests/security/test_static_gate_variants.py runs the tools, in the same processes as for the
application's variants, and asserts ``EXPECTED``). Two changes
no linter notices - a bucket policy opened to everyone, and the security headers dropped - are shown
here to be holes, with the IAM evaluator and by reading the template.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.audit import StackPolicies, Template, stack_policies, write_template
from tests.support.iam import AccessRequest, Principal, evaluate
from tests.support.local_cloud import security_headers
from tests.support.stack import ACCOUNT_ID as ACCOUNT
from tests.support.template import WEB_TEMPLATE_PATH, load_template

OTHER_ACCOUNT = "210987654321"


def web_template() -> Template:
    return load_template(WEB_TEMPLATE_PATH)


def _cache_behaviour(template: Template) -> dict[str, Any]:
    behaviour: dict[str, Any] = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"][
        "DefaultCacheBehavior"
    ]
    return behaviour


def _public_access_allowed(template: Template) -> None:
    del template["Resources"]["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"]


def _plain_http_allowed(template: Template) -> None:
    _cache_behaviour(template)["ViewerProtocolPolicy"] = "allow-all"


def _no_access_logs(template: Template) -> None:
    del template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Logging"]


def _bucket_open_to_everyone(template: Template) -> None:
    statement = template["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Principal"] = "*"
    del statement["Condition"]


def _security_headers_dropped(template: Template) -> None:
    del _cache_behaviour(template)["ResponseHeadersPolicyId"]


VARIANTS: dict[str, Callable[[Template], None]] = {
    "public_access_allowed": _public_access_allowed,
    "plain_http_allowed": _plain_http_allowed,
    "no_access_logs": _no_access_logs,
    "bucket_open_to_everyone": _bucket_open_to_everyone,
    "security_headers_dropped": _security_headers_dropped,
}

# What each variant adds to the gate's findings (on the SAM template and on its translation alike).
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "public_access_allowed": {
        ("CKV_AWS_53", "SiteBucket"),
        ("CKV_AWS_54", "SiteBucket"),
        ("CKV_AWS_55", "SiteBucket"),
        ("CKV_AWS_56", "SiteBucket"),
    },
    "plain_http_allowed": {("CKV_AWS_34", "Distribution")},
    "no_access_logs": {("CKV_AWS_86", "Distribution")},
    "bucket_open_to_everyone": set(),
    "security_headers_dropped": set(),
}


def variant(name: str) -> Template:
    template = copy.deepcopy(web_template())
    VARIANTS[name](template)
    return template


# ---------------------------------------------------------------- who may read the files


def _site_policy(template: Template) -> StackPolicies:
    return stack_policies(template, stack_name="airline-dev-web")


def _read(policies: StackPolicies, caller: Principal, context: dict[str, Any]) -> bool:
    resolver = policies.resolver
    bucket_policy = resolver.resolve(policies.translated["Resources"]["SiteBucketPolicy"]["Properties"])
    request = AccessRequest(
        caller, "s3:GetObject", f"{resolver.get_att('SiteBucket', 'Arn')}/index.html", context
    )
    return evaluate(
        request,
        identity_policies=[],
        resource_policy=bucket_policy["PolicyDocument"],
        resource_account=ACCOUNT,
    ).allowed


def _distribution(policies: StackPolicies, account: str = ACCOUNT, distribution: str | None = None) -> str:
    return (
        f"arn:aws:cloudfront::{account}:distribution/{distribution or policies.resolver.ref('Distribution')}"
    )


CLOUDFRONT = Principal.service("cloudfront.amazonaws.com")


def test_only_the_sites_own_distribution_reads_its_files_over_tls() -> None:
    policies = _site_policy(web_template())
    over_tls = {"aws:SecureTransport": True}

    assert _read(policies, CLOUDFRONT, {**over_tls, "aws:SourceArn": _distribution(policies)})
    # Anyone else's distribution, in any account; anyone on the internet; CloudFront over plain HTTP.
    assert not _read(
        policies, CLOUDFRONT, {**over_tls, "aws:SourceArn": _distribution(policies, distribution="EOTHER")}
    )
    assert not _read(
        policies, CLOUDFRONT, {**over_tls, "aws:SourceArn": _distribution(policies, OTHER_ACCOUNT)}
    )
    assert not _read(policies, Principal.anonymous(), over_tls)
    assert not _read(
        policies, CLOUDFRONT, {"aws:SecureTransport": False, "aws:SourceArn": _distribution(policies)}
    )


def test_a_bucket_policy_opened_to_everyone_is_a_hole_no_linter_sees() -> None:
    # test_each_variant_fails_exactly_the_expected_checks: no finding for it.
    assert _read(
        _site_policy(variant("bucket_open_to_everyone")), Principal.anonymous(), {"aws:SecureTransport": True}
    )


# ---------------------------------------------------------------- what every response carries


def test_every_response_carries_the_security_headers() -> None:
    behaviour = _cache_behaviour(web_template())
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert "ResponseHeadersPolicyId" not in _cache_behaviour(variant("security_headers_dropped"))


def test_the_content_security_policy_allows_no_inline_code_and_only_the_apis() -> None:
    deployed = security_headers(
        api_origins="https://cognito-idp.eu-west-1.amazonaws.com https://x.appsync-api.eu-west-1.amazonaws.com"
    )
    policy = dict(
        directive.strip().split(" ", 1) for directive in deployed["Content-Security-Policy"].split(";")
    )

    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["require-trusted-types-for"] == "'script'"
    assert (
        policy["connect-src"]
        == "'self' https://cognito-idp.eu-west-1.amazonaws.com https://x.appsync-api.eu-west-1.amazonaws.com"
    )
    assert not [value for value in policy.values() if "unsafe" in value or "*" in value]
    assert deployed["X-Frame-Options"] == "DENY"
    assert deployed["X-Content-Type-Options"] == "nosniff"


def test_the_api_origins_parameter_admits_only_https_origins() -> None:
    pattern = web_template()["Parameters"]["ApiOrigins"]["AllowedPattern"]
    assert re.fullmatch(
        pattern, "https://cognito-idp.eu-west-1.amazonaws.com https://a.appsync-api.eu-west-1.amazonaws.com"
    )
    for bad in (
        "*",
        "https://a.example 'unsafe-inline'",
        "http://a.example",
        "https://a.example; script-src *",
    ):
        assert not re.fullmatch(pattern, bad)


def test_the_written_web_template_is_the_same_template(tmp_path: Path) -> None:
    assert load_template(write_template(web_template(), tmp_path)) == web_template()
