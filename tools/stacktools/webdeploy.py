"""Host the customer web app beside a deployed stack: a private S3 bucket behind CloudFront.

    python -m stacktools.webdeploy --stack-name airline-dev     # what `make deploy-web STACK=...` runs

1. Reads the application stack's outputs: the GraphQL API's URL, the user pool and its app client.
2. Deploys web/template.yaml as ``<stack>-web`` with ``sam deploy``, allowing the browser to connect
   to exactly those two origins (the Content-Security-Policy's ``connect-src``).
3. Uploads the built app (web/dist/app, from `make web`) and a config.json naming those endpoints:
   hashed assets cached for a year, everything else revalidated on each visit. Files of an earlier
   upload that the new one no longer has are removed (its hashed assets excepted: a page loaded
   before the upload may still ask for them).
4. Invalidates CloudFront's copies and prints the app's URL.

Only the customer app is uploaded: the boundary map is a page of the local cloud, never deployed.
Credentials and region come from the environment, as for `sam deploy`.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from stacktools.project import REPOSITORY_ROOT, WEB_TEMPLATE_PATH

APP_BUILD = REPOSITORY_ROOT / "web" / "dist" / "app"
SAM = REPOSITORY_ROOT / ".tools" / "sam" / "bin" / "sam"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_NEEDED_OUTPUTS = ("GraphQLApiUrl", "UserPoolId", "UserPoolClientId")

Runner = Callable[[Sequence[str]], int]


class DeployError(RuntimeError):
    """The web app cannot be deployed; the message says why."""


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    try:
        [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise DeployError(f"stack {stack_name}: {error.response['Error']['Message']}") from None
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def web_config(outputs: dict[str, str], region: str) -> dict[str, str]:
    """The deployed app's config.json: the real endpoints, which answer browsers with CORS themselves."""
    missing = [name for name in _NEEDED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise DeployError(
            f"the application stack has no {', '.join(missing)} output: is it the airline's stack?"
        )
    return {
        "region": region,
        "userPoolId": outputs["UserPoolId"],
        "userPoolClientId": outputs["UserPoolClientId"],
        "graphqlUrl": outputs["GraphQLApiUrl"],
        "cognitoUrl": f"https://cognito-idp.{region}.amazonaws.com/",
    }


def api_origins(config: dict[str, str]) -> str:
    """The origins the page may connect to: the user pool's endpoint and the GraphQL API's."""
    return " ".join(f"https://{urlsplit(config[key]).netloc}" for key in ("cognitoUrl", "graphqlUrl"))


def sam_deploy_command(web_stack: str, region: str, origins: str) -> list[str]:
    return [
        str(SAM),
        "deploy",
        "--template-file",
        str(WEB_TEMPLATE_PATH),
        "--stack-name",
        web_stack,
        "--region",
        region,
        "--parameter-overrides",
        f"ApiOrigins={origins}",
        "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
    ]


def upload(s3: Any, bucket: str, build: Path, config: dict[str, str]) -> list[str]:
    """Uploads the build and config.json; removes what an earlier upload left. Returns the keys uploaded."""
    if not (build / "index.html").is_file():
        raise DeployError(f"no build in {build}: run `make web` first")
    files = {path.relative_to(build).as_posix(): path for path in sorted(build.rglob("*")) if path.is_file()}
    for key, path in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=_content_type(path),
            CacheControl=IMMUTABLE if key.startswith("assets/") else REVALIDATE,
        )
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(config, indent=2).encode(),
        ContentType="application/json",
        CacheControl=REVALIDATE,
    )
    uploaded = [*files, "config.json"]
    stale = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in uploaded and not item["Key"].startswith("assets/")
    ]
    for key in stale:
        s3.delete_object(Bucket=bucket, Key=key)
    return uploaded


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    response = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"deploy-web-{time.time_ns()}",
        },
    )
    return str(response["Invalidation"]["Id"])


def deploy(session: Any, stack_name: str, web_stack: str, run: Runner) -> str:
    """Everything above; returns the web app's URL."""
    region = session.region_name
    if not region:
        raise DeployError("no region: set AWS_REGION (or AWS_DEFAULT_REGION), or pass --region")
    cloudformation = session.client("cloudformation")
    config = web_config(stack_outputs(cloudformation, stack_name), region)
    command = sam_deploy_command(web_stack, region, api_origins(config))
    if run(command) != 0:
        raise DeployError(f"sam deploy of {web_stack} failed")
    hosting = stack_outputs(cloudformation, web_stack)
    upload(session.client("s3"), hosting["SiteBucketName"], APP_BUILD, config)
    invalidate(session.client("cloudfront"), hosting["DistributionId"])
    return hosting["WebAppUrl"]


def _content_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    textual = guessed.startswith("text/") or guessed in ("application/javascript", "application/json")
    return f"{guessed}; charset=utf-8" if textual else guessed


def _run_sam(command: Sequence[str]) -> int:
    if not SAM.exists():
        raise DeployError(f"{SAM.relative_to(REPOSITORY_ROOT)} not found: run `make setup`")
    return subprocess.run(command, check=False, cwd=REPOSITORY_ROOT).returncode  # noqa: S603 - the project's SAM CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stacktools.webdeploy", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--stack-name", required=True, help="the application's stack, e.g. airline-dev")
    parser.add_argument("--web-stack-name", help="the hosting stack (default: <stack-name>-web)")
    parser.add_argument("--region", help="default: the environment's")
    arguments = parser.parse_args(argv)
    session = boto3.Session(region_name=arguments.region)
    try:
        url = deploy(
            session, arguments.stack_name, arguments.web_stack_name or f"{arguments.stack_name}-web", _run_sam
        )
    except (DeployError, BotoCoreError, ClientError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"The web app is at {url} (CloudFront may take a few minutes to serve a new distribution).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
