"""Command line of the local cloud.

python -m localcloud demo                              the walkthrough (exit 0 if every step held)
python -m localcloud up                                run until Ctrl-C, printing the endpoints, the
                                                       web app's and the boundary map's URLs
python -m localcloud invoke FUNCTION -e events/X.json  like `sam local invoke`, without Docker
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from botocore.exceptions import ClientError

from localcloud import walkthrough
from localcloud.cloud import LocalCloud, LocalCloudError
from localcloud.webapp import ConfirmationMail, WebApp
from stacktools.catalog import sample_flights, seed
from stacktools.project import AWS_ENDPOINT_PORT, BOUNDARY_MAP_PORT, REGION, WEB_APP_PORT

ALARM_INTERVAL_SECONDS = 10.0
"""How often `up` evaluates the alarms: one local period of every alarm."""


def _isolate_from_real_aws() -> None:
    """Nothing started from here may reach a real AWS account, whatever the shell's settings."""
    for variable in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[variable]
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION}
    )


def _print_mail(mail: ConfirmationMail) -> None:
    print(f"[mail to {mail.to}] Your Serverless Airline confirmation code is {mail.code}", flush=True)


def up(port: int, web_port: int, map_port: int) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with (
        LocalCloud(aws_port=port, alarm_interval_seconds=ALARM_INTERVAL_SECONDS).start() as cloud,
        WebApp(cloud, app_port=web_port, map_port=map_port, deliver=_print_mail).start() as web,
    ):
        assert cloud.stack is not None
        seed(
            cloud.client("dynamodb"),
            cloud.stack.outputs["FlightTableName"],
            sample_flights(datetime.now(UTC).date()),
        )
        customer = cloud.create_customer("traveller@example.com")
        admin = cloud.client("iam").create_access_key(UserName="localcloud-admin")["AccessKey"]
        print(
            f"""
The Serverless Airline is running locally (Ctrl-C stops it).

Web app        {web.app_url}
  (sign up with any e-mail address: the confirmation code is printed here, as Cognito would mail it)
Boundary map   {web.map_url}
  (every authorisation decision as it happens; replay attacks and watch them refused)

AWS endpoint   {cloud.endpoints.aws}
  export AWS_ENDPOINT_URL={cloud.endpoints.aws} AWS_DEFAULT_REGION={REGION}
  export AWS_ACCESS_KEY_ID={admin["AccessKeyId"]} AWS_SECRET_ACCESS_KEY={admin["SecretAccessKey"]}
  (an administrator of the local account; every request is authorised against IAM policies)
GraphQL API    {cloud.endpoints.graphql}
Loyalty API    {cloud.endpoints.loyalty_api}/loyalty/{{customerId}}/get   (SigV4; AppSync's role only)
Customer       {customer.email} / {customer.password} (sub {customer.sub})
  Authorization: {customer.id_token}

Stack outputs:""",
            flush=True,
        )
        for name, value in sorted(cloud.stack.outputs.items()):
            print(f"  {name:28} {value}")
        stop.wait()
        print("\nStopping the local cloud...", flush=True)
    return 0


def invoke(function: str, event_path: Path) -> int:
    try:
        event = json.loads(event_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        print(f"error: cannot read the event {event_path}: {error}", file=sys.stderr)
        return 2
    with LocalCloud().start() as cloud:
        assert cloud.stack is not None
        if (
            function not in cloud.stack.resources
            or cloud.stack.resources[function].type != "AWS::Lambda::Function"
        ):
            names = ", ".join(sorted(r.logical_id for r in cloud.stack.of_type("AWS::Lambda::Function")))
            print(f"error: {function} is not a function of the template ({names})", file=sys.stderr)
            return 2
        name = cloud.stack.physical_id(function)
        try:
            response = cloud.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode())
        except ClientError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        log = cloud.lambdas.logs.get(name)
        for line in log.lines if log else []:
            print(line, file=sys.stderr)
        print(response["Payload"].read().decode())
        return 1 if response.get("FunctionError") else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__.splitlines()[1])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="the walkthrough: every step and boundary checked")
    run = commands.add_parser("up", help="run the local cloud until Ctrl-C")
    run.add_argument(
        "--port", type=int, default=AWS_ENDPOINT_PORT, help=f"the AWS endpoint's port ({AWS_ENDPOINT_PORT})"
    )
    run.add_argument(
        "--web-port", type=int, default=WEB_APP_PORT, help=f"the web app's port ({WEB_APP_PORT})"
    )
    run.add_argument(
        "--map-port",
        type=int,
        default=BOUNDARY_MAP_PORT,
        help=f"the boundary map's port ({BOUNDARY_MAP_PORT})",
    )
    call = commands.add_parser("invoke", help="invoke one function with an event, under its own role")
    call.add_argument("function", help="the function's logical id, e.g. GetLoyaltyFunction")
    call.add_argument(
        "-e", "--event", type=Path, required=True, help="event file, e.g. events/get_loyalty.json"
    )
    args = parser.parse_args(argv)
    _isolate_from_real_aws()
    try:
        if args.command == "demo":
            return walkthrough.main()
        if args.command == "up":
            return up(args.port, args.web_port, args.map_port)
        return invoke(args.function, args.event)
    except LocalCloudError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
