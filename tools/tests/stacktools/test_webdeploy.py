"""make deploy-web, against moto: the hosting stack gets the app's two API origins and nothing else, the
built app and its config.json land in the bucket with the right types and caching, stale files go,
and CloudFront is invalidated. ``sam deploy`` itself is replaced by a stand-in that creates the stack."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stacktools import webdeploy
from stacktools.project import REGION, REPOSITORY_ROOT
from stacktools.webdeploy import DeployError, api_origins, deploy, upload, web_config

GRAPHQL_URL = "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com/graphql"
APP_OUTPUTS = {"GraphQLApiUrl": GRAPHQL_URL, "UserPoolId": "eu-west-1_pool", "UserPoolClientId": "client123"}


def _stack(
    cloudformation: Any, name: str, outputs: dict[str, Any], resources: dict[str, Any] | None = None
) -> None:
    template = {
        "Resources": resources or {"Placeholder": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))


@pytest.fixture
def build(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    (app / "assets").mkdir(parents=True)
    (app / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (app / "assets" / "index-abc.js").write_text("export {}", encoding="utf-8")
    (app / "assets" / "index-abc.css").write_text("body{}", encoding="utf-8")
    return app


@pytest.fixture
def aws(build: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(webdeploy, "APP_BUILD", build)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        _stack(session.client("cloudformation"), "airline-dev", APP_OUTPUTS)
        yield session


def _distribution(session: Any) -> str:
    config = {
        "CallerReference": "test",
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.amazonaws.com"}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https"},
        "Comment": "",
        "Enabled": True,
    }
    return str(
        session.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    )


def _sam(session: Any, commands: list[Sequence[str]]) -> webdeploy.Runner:
    """Stands in for `sam deploy`: records the command and creates the hosting stack's outputs."""

    def run(command: Sequence[str]) -> int:
        commands.append(command)
        distribution = _distribution(session)
        _stack(
            session.client("cloudformation"),
            command[command.index("--stack-name") + 1],
            {
                "SiteBucketName": {"Ref": "SiteBucket"},
                "DistributionId": distribution,
                "WebAppUrl": "https://d111111abcdef8.cloudfront.net/",
            },
            {"SiteBucket": {"Type": "AWS::S3::Bucket"}},
        )
        return 0

    return run


def _bucket(session: Any) -> str:
    [bucket] = session.client("s3").list_buckets()["Buckets"]
    return str(bucket["Name"])


def test_the_hosting_stack_may_connect_to_the_apps_two_origins_only(aws: Any) -> None:
    commands: list[Sequence[str]] = []

    url = deploy(aws, "airline-dev", "airline-dev-web", _sam(aws, commands))

    [command] = commands
    assert command[command.index("--stack-name") + 1] == "airline-dev-web"
    assert command[command.index("--template-file") + 1].endswith("web/template.yaml")
    assert command[command.index("--parameter-overrides") + 1] == (
        "ApiOrigins=https://cognito-idp.eu-west-1.amazonaws.com "
        "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com"
    )
    assert url == "https://d111111abcdef8.cloudfront.net/"


def test_the_app_and_its_config_are_uploaded_with_their_types_and_caching(aws: Any) -> None:
    deploy(aws, "airline-dev", "airline-dev-web", _sam(aws, []))
    s3, bucket = aws.client("s3"), _bucket(aws)

    def head(key: str) -> tuple[str, str]:
        answer = s3.head_object(Bucket=bucket, Key=key)
        return answer["ContentType"], answer["CacheControl"]

    assert head("index.html") == ("text/html; charset=utf-8", "no-cache")
    assert head("config.json") == ("application/json", "no-cache")
    assert head("assets/index-abc.css") == ("text/css; charset=utf-8", "public, max-age=31536000, immutable")
    config = json.loads(s3.get_object(Bucket=bucket, Key="config.json")["Body"].read())
    assert config == {
        "region": REGION,
        "userPoolId": "eu-west-1_pool",
        "userPoolClientId": "client123",
        "graphqlUrl": GRAPHQL_URL,
        "cognitoUrl": "https://cognito-idp.eu-west-1.amazonaws.com/",
    }


def test_cloudfront_is_invalidated(aws: Any) -> None:
    deploy(aws, "airline-dev", "airline-dev-web", _sam(aws, []))
    cloudfront = aws.client("cloudfront")
    [distribution] = cloudfront.list_distributions()["DistributionList"]["Items"]

    invalidations = cloudfront.list_invalidations(DistributionId=distribution["Id"])["InvalidationList"]

    assert invalidations["Quantity"] == 1


def test_an_upload_removes_what_the_last_one_left_but_its_assets(aws: Any, build: Path) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    for key in ("old.html", "assets/index-old.js"):
        s3.put_object(Bucket="site", Key=key, Body=b"old")

    upload(s3, "site", build, web_config(APP_OUTPUTS, REGION))

    keys = {item["Key"] for item in s3.list_objects_v2(Bucket="site")["Contents"]}
    assert keys == {
        "index.html",
        "config.json",
        "assets/index-abc.js",
        "assets/index-abc.css",
        "assets/index-old.js",
    }


def test_only_the_customer_app_is_uploaded_never_the_map() -> None:
    # `make web` builds the app into web/dist/app and the local cloud's map into web/dist/map.
    assert webdeploy.APP_BUILD == REPOSITORY_ROOT / "web" / "dist" / "app"


def test_a_stack_that_is_not_the_airlines_is_refused(aws: Any) -> None:
    _stack(aws.client("cloudformation"), "something-else", {"Foo": "bar"})

    with pytest.raises(DeployError, match="no GraphQLApiUrl, UserPoolId, UserPoolClientId output"):
        deploy(aws, "something-else", "something-else-web", _sam(aws, []))


def test_an_unknown_stack_is_refused_before_anything_is_deployed(aws: Any) -> None:
    commands: list[Sequence[str]] = []

    with pytest.raises(DeployError, match="stack missing"):
        deploy(aws, "missing", "missing-web", _sam(aws, commands))
    assert commands == []


def test_a_failed_sam_deploy_uploads_nothing(aws: Any) -> None:
    with pytest.raises(DeployError, match="sam deploy of airline-dev-web failed"):
        deploy(aws, "airline-dev", "airline-dev-web", lambda command: 1)
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_without_a_build_nothing_is_uploaded(aws: Any, tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="run `make web` first"):
        upload(aws.client("s3"), "site", tmp_path / "none", web_config(APP_OUTPUTS, REGION))


def test_the_origins_have_no_path() -> None:
    assert api_origins(web_config(APP_OUTPUTS, REGION)).split() == [
        "https://cognito-idp.eu-west-1.amazonaws.com",
        "https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com",
    ]
