"""The local AWS endpoint's own doors, tried as an attacker on the developer's machine would try them:
headers that claim a public operation, credential operations without a trust decision, moto's own API,
web pages, services nobody authorises, old signatures, and requests that name one resource to the
authoriser and another to the service. Each attempt is refused, and nothing it aimed at changes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends
from moto.sts.models import sts_backends

from tests.e2e.conftest import create_principal, create_role
from tests.support.local_cloud import ACCOUNT_ID, REGION, Credentials, LocalCloud, served_backends, sigv4
from tests.support.signing import AMZ_DATE_FORMAT, SignedAt

pytestmark = pytest.mark.local_cloud

TIMEOUT = 30
SIGN_IN_TARGET = "AWSCognitoIdentityProviderService.InitiateAuth"
JSON_1_0 = "application/x-amz-json-1.0"
JSON_1_1 = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded"
NOTHING = [
    {"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:none"}
]
"""A grant of nothing that matters: the statements of a role that may do nothing here."""


# ------------------------------------------------------------------ what the attacks aim at


def outputs(cloud: LocalCloud) -> dict[str, str]:
    assert cloud.stack is not None
    return cloud.stack.outputs


def loyalty_queue_url(cloud: LocalCloud) -> str:
    assert cloud.stack is not None
    return cloud.stack.physical_id("LoyaltyQueue")


def function_name(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    return cloud.stack.physical_id(logical_id)


def messages_in(cloud: LocalCloud, queue_url: str) -> int:
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(count) for count in attributes.values())


def executions_named(cloud: LocalCloud, name: str) -> list[str]:
    executions = cloud.client("stepfunctions").list_executions(
        stateMachineArn=outputs(cloud)["BookingStateMachineArn"]
    )["executions"]
    return [execution["executionArn"] for execution in executions if execution["name"] == name]


def loyalty_items(cloud: LocalCloud, customer_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cloud.client("dynamodb").query(
        TableName=outputs(cloud)["LoyaltyTableName"],
        KeyConditionExpression="customerId = :customer",
        ExpressionAttributeValues={":customer": {"S": customer_id}},
    )["Items"]
    return items


def forged_notice(customer_id: str) -> str:
    """A CONFIRMED booking notice for a booking that never happened, worth a fortune in points."""
    return json.dumps(
        {
            "bookingId": str(uuid.uuid4()),
            "customerId": customer_id,
            "flightId": "SA101-2030-01-08",
            "status": "CONFIRMED",
            "bookingReference": "FORGED",
            "amount": 100_000_000,
            "currency": "EUR",
        }
    )


def forged_sqs_event(customer_id: str) -> dict[str, Any]:
    """The event IngestLoyalty receives from its queue, carrying a forged notice."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "forged",
                "body": forged_notice(customer_id),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:forged",
                "awsRegion": REGION,
            }
        ]
    }


@pytest.fixture
def published_by_topic(cloud: LocalCloud) -> Callable[[], int]:
    """How many notices the booking topic has published since the test began, read from the local
    cloud's SNS state (the topic's policy lets nothing but the loyalty queue subscribe, so no queue of
    the test's own can listen in)."""
    topic_arn = outputs(cloud)["BookingTopicArn"]

    def published() -> int:
        return len(sns_backends[ACCOUNT_ID][REGION].topics[topic_arn].sent_notifications)

    before = published()
    return lambda: published() - before


@pytest.fixture(scope="module")
def unpolled_loyalty_queue(cloud: LocalCloud) -> str:
    """The loyalty queue with its consumer stopped, so that the queue itself shows whether a message
    arrived (IngestLoyalty would otherwise take it away)."""
    cloud.event_sources.stop()
    url = loyalty_queue_url(cloud)
    assert messages_in(cloud, url) == 0
    return url


@pytest.fixture(scope="module")
def nobody(cloud: LocalCloud) -> Credentials:
    """A role of the account whose only permission is beside the point: it may do nothing here."""
    return create_role(cloud, f"nobody-{uuid.uuid4().hex[:6]}", NOTHING)[1]


# ------------------------------------------------------------------ a header that claims a public operation


def under_sign_in_header(
    cloud: LocalCloud, service: str, body: str, content_type: str, query: str = ""
) -> requests.Response:
    """A request that says ``X-Amz-Target: ...InitiateAuth`` (Cognito's public sign-in) and carries an
    Authorization header nobody signed, scoped to ``service``: moto routes it by that scope and runs
    the operation its ``Action`` parameter names."""
    now = datetime.now(UTC)
    forged = (
        f"AWS4-HMAC-SHA256 Credential=AKIAFORGEDFORGED0000/{now:%Y%m%d}/{REGION}/{service}/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}"
    )
    return requests.post(
        f"{cloud.endpoints.aws}/{query}",
        data=body,
        headers={
            "X-Amz-Target": SIGN_IN_TARGET,
            "X-Amz-Date": now.strftime(AMZ_DATE_FORMAT),
            "Authorization": forged,
            "Content-Type": content_type,
        },
        timeout=TIMEOUT,
    )


def form(**fields: str) -> str:
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in fields.items())


def test_an_outsider_cannot_publish_a_confirmed_notice_under_a_sign_in_header(
    cloud: LocalCloud, published_by_topic: Callable[[], int]
) -> None:
    body = form(
        Action="Publish",
        TopicArn=outputs(cloud)["BookingTopicArn"],
        Message=forged_notice(str(uuid.uuid4())),
        **{
            "MessageAttributes.entry.1.Name": "bookingStatus",
            "MessageAttributes.entry.1.Value.DataType": "String",
            "MessageAttributes.entry.1.Value.StringValue": "CONFIRMED",
        },
    )

    response = under_sign_in_header(cloud, "sns", body, FORM)

    assert response.status_code == 403, response.text
    assert published_by_topic() == 0


def test_an_outsider_cannot_fill_the_loyalty_queue_under_a_sign_in_header(
    cloud: LocalCloud, unpolled_loyalty_queue: str
) -> None:
    body = form(
        Action="SendMessage", QueueUrl=unpolled_loyalty_queue, MessageBody=forged_notice(str(uuid.uuid4()))
    )

    response = under_sign_in_header(cloud, "sqs", body, FORM)

    assert response.status_code == 403, response.text
    assert messages_in(cloud, unpolled_loyalty_queue) == 0


def test_an_outsider_cannot_create_an_administrator_under_a_sign_in_header(cloud: LocalCloud) -> None:
    name = f"intruder-{uuid.uuid4().hex[:6]}"

    response = under_sign_in_header(
        cloud, "iam", form(Action="CreateUser", UserName=name, Version="2010-05-08"), FORM
    )

    assert response.status_code == 403, response.text
    with pytest.raises(ClientError, match="NoSuchEntity"):
        cloud.client("iam").get_user(UserName=name)


def test_an_outsider_cannot_start_the_booking_saga_under_a_sign_in_header(cloud: LocalCloud) -> None:
    name = f"forged-{uuid.uuid4().hex[:8]}"
    body = json.dumps(
        {"stateMachineArn": outputs(cloud)["BookingStateMachineArn"], "name": name, "input": "{}"}
    )

    response = under_sign_in_header(cloud, "states", body, JSON_1_0, query="?Action=StartExecution")

    assert response.status_code == 403, response.text
    assert executions_named(cloud, name) == []


def test_an_outsider_cannot_run_a_cognito_admin_operation_under_the_sign_in_header(cloud: LocalCloud) -> None:
    """Unsigned, so moto routes it to Cognito by the header; the operation is the query's Action."""
    username = f"intruder-{uuid.uuid4().hex[:6]}@example.com"
    pool = outputs(cloud)["UserPoolId"]

    response = requests.post(
        f"{cloud.endpoints.aws}/?Action=AdminCreateUser",
        data=json.dumps({"UserPoolId": pool, "Username": username, "TemporaryPassword": "Intruder-12345"}),
        headers={"X-Amz-Target": SIGN_IN_TARGET, "Content-Type": JSON_1_1},
        timeout=TIMEOUT,
    )

    assert response.status_code == 403, response.text
    users = cloud.client("cognito-idp").list_users(UserPoolId=pool, Filter=f'email = "{username}"')["Users"]
    assert users == []
    with pytest.raises(ClientError, match="UserNotFoundException"):
        cloud.client("cognito-idp").admin_get_user(UserPoolId=pool, Username=username)


# ------------------------------------------------------------------ credentials without a trust decision


MINTING_OPERATIONS = {
    "AssumeRoleWithWebIdentity": {"WebIdentityToken": "garbage", "RoleSessionName": "intruder"},
    "AssumeRoleWithSAML": {
        "SAMLAssertion": "Z2FyYmFnZQ==",
        "PrincipalArn": f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/x",
    },
    "GetFederationToken": {"Name": "intruder"},
    "GetSessionToken": {},
}


def sessions_of(role_arn: str) -> int:
    return sum(1 for session in sts_backends[ACCOUNT_ID]["aws"].assumed_roles if session.role_arn == role_arn)


@pytest.mark.parametrize("operation", sorted(MINTING_OPERATIONS))
def test_a_user_cannot_mint_credentials_without_a_trust_decision(cloud: LocalCloud, operation: str) -> None:
    """A user allowed every STS action asks for the loyalty data source role's credentials (the only
    principal the private loyalty API admits) by every route but AssumeRole."""
    user = create_principal(cloud, f"minter-{uuid.uuid4().hex[:6]}", ["sts:*"], user=True)
    role_arn = outputs(cloud)["LoyaltyDataSourceRoleArn"]
    before = sessions_of(role_arn)
    fields = {
        "Action": operation,
        "Version": "2011-06-15",
        "RoleArn": role_arn,
        **MINTING_OPERATIONS[operation],
    }

    signed = requests.post(
        cloud.endpoints.aws,
        data=form(**fields),
        headers={"Content-Type": FORM},
        auth=sigv4(user, "sts"),
        timeout=TIMEOUT,
    )
    unsigned = requests.post(
        cloud.endpoints.aws, data=form(**fields), headers={"Content-Type": FORM}, timeout=TIMEOUT
    )

    assert signed.status_code == 400, signed.text
    assert "OperationNotEmulated" in signed.text
    assert f"sts:{operation}" in signed.text
    # Unsigned, moto routes only the web identity and SAML operations to STS; the rest would be S3's.
    assert unsigned.status_code == 400, unsigned.text
    assert "NotEmulated" in unsigned.text
    assert "SecretAccessKey" not in signed.text + unsigned.text
    assert sessions_of(role_arn) == before


def test_a_session_cannot_be_reshaped_or_stretched_beyond_its_role(cloud: LocalCloud) -> None:
    """AssumeRole itself stays: but a session policy, session tags or an external id (which the local
    cloud does not evaluate) and a duration beyond what the role allows are refused, not granted."""
    target_arn, _ = create_role(cloud, f"target-{uuid.uuid4().hex[:6]}", NOTHING)
    caller = create_principal(cloud, f"assumer-{uuid.uuid4().hex[:6]}", ["sts:AssumeRole"])
    sts = cloud.client("sts", caller)
    before = sessions_of(target_arn)

    attempts: list[Callable[[], Any]] = [
        lambda: sts.assume_role(
            RoleArn=target_arn,
            RoleSessionName="shaped",
            Policy=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        ),
        lambda: sts.assume_role(
            RoleArn=target_arn, RoleSessionName="tagged", Tags=[{"Key": "team", "Value": "x"}]
        ),
        lambda: sts.assume_role(RoleArn=target_arn, RoleSessionName="partner", ExternalId="guessed"),
        lambda: sts.assume_role(RoleArn=target_arn, RoleSessionName="long", DurationSeconds=43200),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError) as refused:
            attempt()
        assert refused.value.response["Error"]["Code"] in {"OperationNotEmulated", "ValidationError"}
    assert sessions_of(target_arn) == before
    assert sts.assume_role(RoleArn=target_arn, RoleSessionName="plain")["Credentials"]["AccessKeyId"]


# ------------------------------------------------------------------ moto's own API, web pages, other services


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/moto-api/reset"),
        ("POST", "/moto-api/reset-auth"),
        ("GET", "/moto-api/data.json"),
        ("POST", "/moto-api/seed?a=42"),
        ("GET", "/moto-api/"),
    ],
)
def test_an_outsider_cannot_reset_or_read_the_account_through_motos_api(
    cloud: LocalCloud, method: str, path: str
) -> None:
    tables = cloud.client("dynamodb").list_tables()["TableNames"]

    response = requests.request(method, f"{cloud.endpoints.aws}{path}", data=b"0", timeout=TIMEOUT)

    assert response.status_code == 403, response.text
    assert "MotoHookRefused" in response.text
    assert cloud.client("dynamodb").list_tables()["TableNames"] == tables
    assert cloud.client("cognito-idp").describe_user_pool(UserPoolId=outputs(cloud)["UserPoolId"])


def test_a_web_page_cannot_drive_the_aws_endpoint(cloud: LocalCloud) -> None:
    """A page the developer visits may send requests to 127.0.0.1; it must get no answer it may read
    (no CORS), its preflights must fail, and a page on a rebound domain must be refused too."""
    evil = "https://evil.example"
    preflight = requests.options(
        cloud.endpoints.aws,
        headers={
            "Origin": evil,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-amz-target,content-type",
        },
        timeout=TIMEOUT,
    )
    simple = requests.post(
        cloud.endpoints.aws,
        data=form(Action="ListQueues"),
        headers={"Origin": evil, "Content-Type": FORM},
        timeout=TIMEOUT,
    )
    signed_with_origin = requests.post(
        cloud.endpoints.aws,
        data="{}",
        headers={"Origin": evil, "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": JSON_1_0},
        auth=sigv4(cloud.admin_credentials, "dynamodb"),
        timeout=TIMEOUT,
    )
    rebound = requests.post(
        cloud.endpoints.aws,
        data=form(Action="ListQueues"),
        headers={"Host": "evil.example", "Content-Type": FORM},
        timeout=TIMEOUT,
    )

    for response in (preflight, simple, signed_with_origin, rebound):
        assert response.status_code == 403, response.text
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_an_outsider_cannot_use_a_service_nobody_authorises(cloud: LocalCloud) -> None:
    """moto also mocks S3, whose handlers never ask the authorisation hook: unsigned or signed, the
    endpoint refuses it instead of creating buckets for anyone."""
    bucket = f"loot-{uuid.uuid4().hex[:8]}"
    unsigned_bucket = requests.put(f"{cloud.endpoints.aws}/{bucket}", timeout=TIMEOUT)
    unsigned_object = requests.put(f"{cloud.endpoints.aws}/{bucket}/loot.txt", data=b"loot", timeout=TIMEOUT)
    with pytest.raises(ClientError) as signed:
        cloud.client("s3").create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )

    for response in (unsigned_bucket, unsigned_object):
        assert response.status_code == 400, response.text
        assert "ServiceNotEmulated" in response.text
    assert signed.value.response["Error"]["Code"] == "ServiceNotEmulated"
    assert list(s3_backends[ACCOUNT_ID]["aws"].buckets) == []


SERVICE_PROBES: dict[str, tuple[str, Callable[[Any, LocalCloud], Any]]] = {
    "dynamodb": ("dynamodb", lambda client, cloud: client.list_tables()),
    "sqs": ("sqs", lambda client, cloud: client.list_queues()),
    "sns": ("sns", lambda client, cloud: client.list_topics()),
    "awslambda": ("lambda", lambda client, cloud: client.list_functions()),
    "stepfunctions": ("stepfunctions", lambda client, cloud: client.list_state_machines()),
    "sts": (
        "sts",
        lambda client, cloud: client.assume_role(
            RoleArn=outputs(cloud)["LoyaltyDataSourceRoleArn"], RoleSessionName="probe"
        ),
    ),
    "logs": ("logs", lambda client, cloud: client.describe_log_groups()),
    "cloudwatch": ("cloudwatch", lambda client, cloud: client.describe_alarms()),
    "cognitoidp": ("cognito-idp", lambda client, cloud: client.list_user_pools(MaxResults=1)),
    "iam": ("iam", lambda client, cloud: client.list_roles()),
}


def test_the_probes_cover_every_service_the_endpoint_serves() -> None:
    assert set(SERVICE_PROBES) == served_backends()


@pytest.mark.parametrize("backend", sorted(SERVICE_PROBES))
def test_every_service_the_endpoint_serves_asks_for_authorisation(
    cloud: LocalCloud, nobody: Credentials, backend: str
) -> None:
    """Signed by a principal with no grant: refused by IAM, which proves the request reached the
    authorisation step (an unsigned one is refused by the front door already)."""
    service, probe = SERVICE_PROBES[backend]

    with pytest.raises(ClientError) as refused:
        probe(cloud.client(service, nobody), cloud)

    assert refused.value.response["Error"]["Code"] in {"AccessDeniedException", "AccessDenied"}


# ------------------------------------------------------------------ signatures from another time


def put_flight(cloud: LocalCloud, flight_id: str, auth: Any) -> requests.Response:
    """A hand-made DynamoDB PutItem adding a flight to the catalog."""
    body = json.dumps(
        {
            "TableName": outputs(cloud)["FlightTableName"],
            "Item": {"id": {"S": flight_id}, "price": {"N": "1"}, "seatsAvailable": {"N": "999"}},
        }
    )
    return requests.post(
        cloud.endpoints.aws,
        data=body,
        headers={"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": JSON_1_0},
        auth=auth,
        timeout=TIMEOUT,
    )


def flight_exists(cloud: LocalCloud, flight_id: str) -> bool:
    return "Item" in cloud.client("dynamodb").get_item(
        TableName=outputs(cloud)["FlightTableName"], Key={"id": {"S": flight_id}}
    )


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(hours=-2),
        timedelta(minutes=-6),
        timedelta(minutes=6),
        timedelta(hours=2),
        timedelta(days=1),
        timedelta(days=3),
    ],
    ids=["2 hours old", "6 minutes old", "6 minutes ahead", "2 hours ahead", "a day ahead", "3 days ahead"],
)
def test_a_request_signed_outside_five_minutes_of_now_is_refused(
    cloud: LocalCloud, offset: timedelta
) -> None:
    """A captured administrator request replayed later, or one signed ahead to be used later."""
    flight_id = f"FORGED-{uuid.uuid4().hex[:8]}"

    response = put_flight(
        cloud, flight_id, SignedAt(cloud.admin_credentials, "dynamodb", datetime.now(UTC) + offset)
    )

    assert response.status_code == 403, response.text
    assert "InvalidSignatureException" in response.text
    assert not flight_exists(cloud, flight_id)


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=-4), timedelta(minutes=4)], ids=["4 minutes old", "4 minutes ahead"]
)
def test_a_request_signed_within_five_minutes_of_now_is_accepted(
    cloud: LocalCloud, offset: timedelta
) -> None:
    flight_id = f"SKEWED-{uuid.uuid4().hex[:8]}"

    response = put_flight(
        cloud, flight_id, SignedAt(cloud.admin_credentials, "dynamodb", datetime.now(UTC) + offset)
    )

    assert response.status_code == 200, response.text
    assert flight_exists(cloud, flight_id)


# ------------------------------------------------------------------ one resource authorised, another used


def test_a_topic_grant_does_not_reach_the_booking_topic_through_target_arn(
    cloud: LocalCloud, published_by_topic: Callable[[], int]
) -> None:
    decoy = cloud.client("sns").create_topic(Name=f"decoy-{uuid.uuid4().hex[:6]}")["TopicArn"]
    attacker = create_role(
        cloud,
        f"decoy-publisher-{uuid.uuid4().hex[:6]}",
        [{"Effect": "Allow", "Action": "sns:Publish", "Resource": decoy}],
    )[1]

    with pytest.raises(ClientError) as refused:
        cloud.client("sns", attacker).publish(
            TopicArn=decoy,
            TargetArn=outputs(cloud)["BookingTopicArn"],
            Message=forged_notice(str(uuid.uuid4())),
        )

    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert published_by_topic() == 0


def test_a_state_machine_grant_does_not_reach_the_booking_saga_through_the_query_string(
    cloud: LocalCloud,
) -> None:
    decoy = cloud.client("stepfunctions").create_state_machine(
        name=f"decoy-{uuid.uuid4().hex[:6]}",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
        roleArn=outputs(cloud)["LoyaltyDataSourceRoleArn"],
    )["stateMachineArn"]
    attacker = create_role(
        cloud,
        f"decoy-starter-{uuid.uuid4().hex[:6]}",
        [{"Effect": "Allow", "Action": "states:StartExecution", "Resource": decoy}],
    )[1]
    name = f"forged-{uuid.uuid4().hex[:8]}"
    saga = quote(outputs(cloud)["BookingStateMachineArn"], safe="")

    response = requests.post(
        f"{cloud.endpoints.aws}/?stateMachineArn={saga}",
        data=json.dumps({"stateMachineArn": decoy, "name": name, "input": "{}"}),
        headers={"X-Amz-Target": "AWSStepFunctions.StartExecution", "Content-Type": JSON_1_0},
        auth=sigv4(attacker, "states"),
        timeout=TIMEOUT,
    )

    assert response.status_code == 400, response.text
    assert "AmbiguousRequest" in response.text
    assert executions_named(cloud, name) == []


def test_a_function_grant_does_not_reach_another_function_through_extra_path_segments(
    cloud: LocalCloud,
) -> None:
    """Allowed to invoke GetLoyalty only, the attacker names IngestLoyalty in a second path segment,
    the one moto's Invoke handler reads, with a forged queue event crediting a customer."""
    reader = function_name(cloud, "GetLoyaltyFunction")
    writer = function_name(cloud, "IngestLoyaltyFunction")
    attacker = create_role(
        cloud,
        f"reader-invoker-{uuid.uuid4().hex[:6]}",
        [
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{reader}",
            }
        ],
    )[1]
    customer = str(uuid.uuid4())

    response = requests.post(
        f"{cloud.endpoints.aws}/2015-03-31/functions/{reader}/{writer}/invocations",
        data=json.dumps(forged_sqs_event(customer)),
        auth=sigv4(attacker, "lambda"),
        timeout=TIMEOUT,
    )

    assert response.status_code == 400, response.text
    assert loyalty_items(cloud, customer) == []


def test_an_arn_of_another_region_does_not_dodge_a_deny(cloud: LocalCloud) -> None:
    """Allowed every function but explicitly denied IngestLoyalty, the attacker names IngestLoyalty by
    an ARN of another region: moto would run the local function of that name."""
    writer = function_name(cloud, "IngestLoyaltyFunction")
    local_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{writer}"
    attacker = create_role(
        cloud,
        f"denied-invoker-{uuid.uuid4().hex[:6]}",
        [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"},
            {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": local_arn},
        ],
    )[1]
    customer = str(uuid.uuid4())

    with pytest.raises(ClientError) as refused:
        cloud.client("lambda", attacker).invoke(
            FunctionName=local_arn.replace(f":{REGION}:", ":us-east-1:"),
            Payload=json.dumps(forged_sqs_event(customer)),
        )

    assert refused.value.response["Error"]["Code"] == "OperationNotEmulated"
    assert loyalty_items(cloud, customer) == []


def test_a_queue_named_only_by_the_path_meets_the_deny_on_it(
    cloud: LocalCloud, unpolled_loyalty_queue: str
) -> None:
    """Allowed to send anywhere but denied the loyalty queue, the attacker names it by the path only
    (``POST /ACCOUNT/QUEUE``, no QueueUrl), which moto's handler falls back to."""
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{unpolled_loyalty_queue.rsplit('/', 1)[-1]}"
    attacker = create_role(
        cloud,
        f"denied-sender-{uuid.uuid4().hex[:6]}",
        [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            {"Effect": "Deny", "Action": "sqs:*", "Resource": queue_arn},
        ],
    )[1]
    path = unpolled_loyalty_queue.split("/", 3)[3]

    response = requests.post(
        f"{cloud.endpoints.aws}/{path}",
        data=form(Action="SendMessage", MessageBody=forged_notice(str(uuid.uuid4()))),
        headers={"Content-Type": FORM},
        auth=sigv4(attacker, "sqs"),
        timeout=TIMEOUT,
    )

    assert response.status_code == 403, response.text
    assert "explicit deny" in response.text
    assert messages_in(cloud, unpolled_loyalty_queue) == 0


# ------------------------------------------------------------------ stolen and dead credentials


def test_a_stolen_function_credential_is_refused_outside_its_grant(
    cloud: LocalCloud, published_by_topic: Callable[[], int], unpolled_loyalty_queue: str
) -> None:
    """GetLoyalty's session, lifted from its worker: it may read the loyalty table and nothing else."""
    stolen = cloud.role_credentials("GetLoyaltyFunctionRole")
    customer = str(uuid.uuid4())
    name = f"stolen-{uuid.uuid4().hex[:8]}"
    attempts: list[Callable[[], Any]] = [
        lambda: cloud.client("dynamodb", stolen).put_item(
            TableName=outputs(cloud)["LoyaltyTableName"],
            Item={"customerId": {"S": customer}, "sk": {"S": "TOTAL"}, "points": {"N": "100000000"}},
        ),
        lambda: cloud.client("sns", stolen).publish(
            TopicArn=outputs(cloud)["BookingTopicArn"], Message=forged_notice(customer)
        ),
        lambda: cloud.client("sqs", stolen).send_message(
            QueueUrl=unpolled_loyalty_queue, MessageBody=forged_notice(customer)
        ),
        lambda: cloud.client("stepfunctions", stolen).start_execution(
            stateMachineArn=outputs(cloud)["BookingStateMachineArn"], name=name, input="{}"
        ),
        lambda: cloud.client("dynamodb", stolen).scan(TableName=outputs(cloud)["BookingTableName"]),
    ]

    for attempt in attempts:
        with pytest.raises(ClientError) as refused:
            attempt()
        assert refused.value.response["Error"]["Code"] in {"AccessDeniedException", "AccessDenied"}
    assert loyalty_items(cloud, customer) == []
    assert published_by_topic() == 0
    assert messages_in(cloud, unpolled_loyalty_queue) == 0
    assert executions_named(cloud, name) == []


def test_a_deleted_users_key_is_refused(cloud: LocalCloud) -> None:
    name = f"leaver-{uuid.uuid4().hex[:6]}"
    key = create_principal(cloud, name, ["dynamodb:PutItem", "dynamodb:GetItem"], user=True)
    before = f"LEAVER-{uuid.uuid4().hex[:8]}"
    assert put_flight(cloud, before, sigv4(key, "dynamodb")).status_code == 200
    iam = cloud.client("iam")
    iam.delete_access_key(UserName=name, AccessKeyId=key.access_key_id)
    iam.delete_user_policy(UserName=name, PolicyName="broad")
    iam.delete_user(UserName=name)
    after = f"LEAVER-{uuid.uuid4().hex[:8]}"

    response = put_flight(cloud, after, sigv4(key, "dynamodb"))

    assert response.status_code == 403, response.text
    assert not flight_exists(cloud, after)


def test_an_expired_session_is_refused(cloud: LocalCloud) -> None:
    _, session = create_role(
        cloud,
        f"expiring-{uuid.uuid4().hex[:6]}",
        [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}],
    )
    for assumed in sts_backends[ACCOUNT_ID]["aws"].assumed_roles:
        if assumed.access_key_id == session.access_key_id:
            assumed.expiration = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    flight_id = f"EXPIRED-{uuid.uuid4().hex[:8]}"

    response = put_flight(cloud, flight_id, sigv4(session, "dynamodb"))

    assert response.status_code == 403, response.text
    assert "ExpiredTokenException" in response.text
    assert not flight_exists(cloud, flight_id)


def test_a_deleted_roles_session_is_refused(cloud: LocalCloud) -> None:
    name = f"doomed-{uuid.uuid4().hex[:6]}"
    _, session = create_role(
        cloud, name, [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}]
    )
    cloud.client("iam").delete_role_policy(RoleName=name, PolicyName="statements")
    cloud.client("iam").delete_role(RoleName=name)
    flight_id = f"DOOMED-{uuid.uuid4().hex[:8]}"

    response = put_flight(cloud, flight_id, sigv4(session, "dynamodb"))

    assert response.status_code == 403, response.text
    assert not flight_exists(cloud, flight_id)


# ------------------------------------------------------------------ signing in


def unsigned_cognito(cloud: LocalCloud) -> Any:
    """Cognito as a browser or the CLI calls it to sign in: without any AWS credentials."""
    return boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url=cloud.endpoints.aws,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def sign_in(cloud: LocalCloud, username: str, password: str, client_id: str | None = None) -> Any:
    return unsigned_cognito(cloud).initiate_auth(
        ClientId=client_id or outputs(cloud)["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )


def test_a_customer_signs_in_without_aws_credentials(cloud: LocalCloud) -> None:
    customer = cloud.create_customer(f"traveller-{uuid.uuid4().hex[:6]}@example.com")

    assert sign_in(cloud, customer.email, customer.password)["AuthenticationResult"]["IdToken"]


def test_sign_in_does_not_reveal_which_customers_exist(cloud: LocalCloud) -> None:
    """The app client prevents user existence errors: an unknown address and a wrong password for a
    known one get the same answer."""
    customer = cloud.create_customer(f"known-{uuid.uuid4().hex[:6]}@example.com")
    answers = []
    for username in (customer.email, f"unknown-{uuid.uuid4().hex[:6]}@example.com"):
        with pytest.raises(ClientError) as refused:
            sign_in(cloud, username, "Wrong-password-1")
        answers.append((refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]))

    assert answers == [("NotAuthorizedException", "Incorrect username or password.")] * 2


def test_an_outsider_cannot_sign_in_as_a_customer_through_the_srp_flow(cloud: LocalCloud) -> None:
    """moto answers SRP's challenge without any proof of the password: the flow is refused outright."""
    customer = cloud.create_customer(f"srp-{uuid.uuid4().hex[:6]}@example.com")

    with pytest.raises(ClientError) as refused:
        unsigned_cognito(cloud).initiate_auth(
            ClientId=outputs(cloud)["UserPoolClientId"],
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": customer.email, "SRP_A": "1234"},
        )

    assert refused.value.response["Error"]["Code"] == "OperationNotEmulated"


def test_an_app_client_without_password_sign_in_signs_no_one_in_by_password(cloud: LocalCloud) -> None:
    customer = cloud.create_customer(f"srp-only-{uuid.uuid4().hex[:6]}@example.com")
    srp_only = cloud.client("cognito-idp").create_user_pool_client(
        UserPoolId=outputs(cloud)["UserPoolId"],
        ClientName=f"srp-only-{uuid.uuid4().hex[:6]}",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]

    with pytest.raises(ClientError) as refused:
        sign_in(cloud, customer.email, customer.password, client_id=srp_only)

    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "USER_PASSWORD_AUTH flow not enabled" in refused.value.response["Error"]["Message"]


def users_named(cloud: LocalCloud, email: str) -> list[Any]:
    users: list[Any] = cloud.client("cognito-idp").list_users(
        UserPoolId=outputs(cloud)["UserPoolId"], Filter=f'email = "{email}"'
    )["Users"]
    return users


def signed_sign_up(cloud: LocalCloud, parameters: dict[str, str], credentials: Credentials | None) -> Any:
    """SignUp as sent by hand (botocore never signs it: on AWS it needs no credentials)."""
    return requests.post(
        cloud.endpoints.aws,
        data=json.dumps(parameters),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp",
        },
        auth=sigv4(credentials, "cognito-idp") if credentials else None,
        timeout=30,
    )


def test_an_outsider_cannot_sign_up_accounts_on_the_aws_endpoint(
    cloud: LocalCloud, nobody: Credentials
) -> None:
    """moto checks no confirmation code, so the endpoint admits SignUp (and ConfirmSignUp) only signed,
    and authorises it on the app client's user pool: unsigned, or signed by a principal without
    cognito-idp:SignUp on that pool, no account is created (the web app's Cognito route signs them itself,
    once it has checked the code it mailed)."""
    email = f"squatter-{uuid.uuid4().hex[:6]}@example.com"
    sign_up = {
        "ClientId": outputs(cloud)["UserPoolClientId"],
        "Username": email,
        "Password": "Correct-Horse-7-battery",
    }

    unsigned = signed_sign_up(cloud, sign_up, None)
    ungranted = signed_sign_up(cloud, sign_up, nobody)

    assert (unsigned.status_code, unsigned.json()["__type"]) == (403, "MissingAuthenticationTokenException")
    assert (ungranted.status_code, ungranted.json()["__type"]) == (403, "AccessDeniedException")
    assert (
        f"cognito-idp:SignUp on resource: arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/"
        in (ungranted.json()["message"])
    )
    assert users_named(cloud, email) == []

    assert signed_sign_up(cloud, sign_up, cloud.admin_credentials).status_code == 200
    assert [user["UserStatus"] for user in users_named(cloud, email)] == ["UNCONFIRMED"]
