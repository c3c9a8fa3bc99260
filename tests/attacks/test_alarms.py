"""The stack's alarms and the operators' topic, attacked on the running local cloud: whoever wants a
failure to go unnoticed deletes an alarm, disables its actions, sets it back to OK or redefines it so
that it never fires; whoever wants to mislead the operators sends them a false alarm or a false
all-clear. Each attempt comes from the other side - a role of the account with no grant for it, a role
of the stack whose credentials were stolen, a principal allowed everything on its own alarms only, an
unsigned or forged request, a request naming one alarm to the authoriser and another to the service -
and each is refused, with the alarm exactly as deployed afterwards."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote

import pytest
import requests
from botocore.exceptions import ClientError

from tests.e2e.conftest import create_principal, create_role
from tests.support.local_cloud import ACCOUNT_ID, REGION, Credentials, LocalCloud, sigv4
from tests.support.local_stack import queue_subscribed_to
from tests.support.signing import AMZ_DATE_FORMAT

pytestmark = pytest.mark.local_cloud

TIMEOUT = 30
FORM = "application/x-www-form-urlencoded"
NOTHING = [
    {"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:none"}
]
# The alarm a silenced failure would most hurt: a booking left half-way, waiting for an operator.
TARGET = "BookingDeadLetterQueueAlarm"
# Settings that change whenever CloudWatch evaluates or is asked to (not what the stack defined).
VOLATILE = ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp", "StateTransitionedTimestamp")

# SNS says AuthorizationError; the local cloud's refusals say AccessDenied.
REFUSED = {"AuthorizationError", "AccessDenied"}

Attempt = Callable[[Any, str], Any]
"""(a CloudWatch client of the attacker, the alarm's name) -> the call."""

ATTEMPTS: dict[str, Attempt] = {
    "DeleteAlarms": lambda cloudwatch, name: cloudwatch.delete_alarms(AlarmNames=[name]),
    "DisableAlarmActions": lambda cloudwatch, name: cloudwatch.disable_alarm_actions(AlarmNames=[name]),
    "SetAlarmState to OK": lambda cloudwatch, name: cloudwatch.set_alarm_state(
        AlarmName=name, StateValue="OK", StateReason="all clear"
    ),
    "SetAlarmState to ALARM": lambda cloudwatch, name: cloudwatch.set_alarm_state(
        AlarmName=name, StateValue="ALARM", StateReason="false alarm"
    ),
    # Redefined to watch a metric nothing reports, with no one to tell.
    "PutMetricAlarm": lambda cloudwatch, name: cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="Nothing",
        MetricName="Nothing",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1e9,
        ComparisonOperator="GreaterThanThreshold",
    ),
}


def alarm_name(cloud: LocalCloud, logical_id: str = TARGET) -> str:
    assert cloud.stack is not None
    return cloud.stack.physical_id(logical_id)


def as_deployed(cloud: LocalCloud, name: str) -> dict[str, Any]:
    """The alarm as the administrator reads it, without what CloudWatch changes on its own."""
    alarms: list[dict[str, Any]] = cloud.client("cloudwatch").describe_alarms(AlarmNames=[name])[
        "MetricAlarms"
    ]
    (alarm,) = alarms
    return {key: value for key, value in alarm.items() if key not in VOLATILE}


def refused(call: Callable[[], Any]) -> str:
    """The error code of a call that must fail."""
    with pytest.raises(ClientError) as error:
        call()
    return str(error.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def deployed(cloud: LocalCloud) -> dict[str, dict[str, Any]]:
    """Every alarm of the stack as deployed, before any attack."""
    assert cloud.stack is not None
    return {
        alarm.physical_id: as_deployed(cloud, alarm.physical_id)
        for alarm in cloud.stack.of_type("AWS::CloudWatch::Alarm")
    }


@pytest.fixture(autouse=True)
def every_alarm_unchanged(cloud: LocalCloud, deployed: dict[str, dict[str, Any]]) -> Iterator[None]:
    yield
    assert {name: as_deployed(cloud, name) for name in deployed} == deployed


# ------------------------------------------------------------------ principals of the account


@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
def test_a_role_without_a_grant_cannot_touch_an_alarm(cloud: LocalCloud, attempt: str) -> None:
    _, credentials = create_role(cloud, f"nobody-{uuid.uuid4().hex[:6]}", NOTHING)
    cloudwatch = cloud.client("cloudwatch", credentials)

    assert refused(lambda: ATTEMPTS[attempt](cloudwatch, alarm_name(cloud))) == "AccessDenied"


@pytest.mark.parametrize(
    "role",
    [
        "NotifyBookingFunctionRole",  # the one that publishes booking outcomes
        "IngestLoyaltyFunctionRole",  # the one whose failures fill the loyalty dead-letter queue
        "BookingStateMachineRole",  # the one that parks failed bookings in the booking dead-letter queue
    ],
)
def test_stolen_credentials_of_a_stack_role_cannot_silence_an_alarm(cloud: LocalCloud, role: str) -> None:
    cloudwatch = cloud.client("cloudwatch", cloud.role_credentials(role))

    for attempt in ATTEMPTS.values():
        assert refused(partial(attempt, cloudwatch, alarm_name(cloud))) == "AccessDenied"
    assert refused(cloudwatch.describe_alarms) == "AccessDenied"


def test_a_principal_allowed_everything_on_its_own_alarms_cannot_reach_the_stacks(cloud: LocalCloud) -> None:
    """The alarm's ARN is what is authorised: a grant on ``alarm:team-*`` is no grant on the stack's."""
    own = f"team-{uuid.uuid4().hex[:6]}"
    _, credentials = create_role(
        cloud,
        f"team-{uuid.uuid4().hex[:6]}",
        [
            {
                "Effect": "Allow",
                "Action": "cloudwatch:*",
                "Resource": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:team-*",
            }
        ],
    )
    cloudwatch = cloud.client("cloudwatch", credentials)
    ATTEMPTS["PutMetricAlarm"](cloudwatch, own)

    for name, attempt in ATTEMPTS.items():
        assert refused(partial(attempt, cloudwatch, alarm_name(cloud))) == "AccessDenied", name
    # Its own alarm and the stack's in one request: refused as a whole, and its own alarm still there.
    both = [own, alarm_name(cloud)]
    assert refused(lambda: cloudwatch.delete_alarms(AlarmNames=both)) == "AccessDenied"
    assert refused(lambda: cloudwatch.disable_alarm_actions(AlarmNames=both)) == "AccessDenied"
    assert [alarm["AlarmName"] for alarm in cloudwatch.describe_alarms(AlarmNames=[own])["MetricAlarms"]] == [
        own
    ]
    # Listing every alarm is a read of the stack's alarms too.
    assert refused(cloudwatch.describe_alarms) == "AccessDenied"
    cloudwatch.delete_alarms(AlarmNames=[own])


def test_a_principal_granted_cloudwatch_reads_reaches_the_alarms(cloud: LocalCloud) -> None:
    """The other side of the boundary: the refusals above come from the grants, not from the local
    cloud refusing CloudWatch (an administrator's tools must work)."""
    credentials = create_principal(cloud, f"operator-{uuid.uuid4().hex[:6]}", ["cloudwatch:Describe*"])
    alarms = cloud.client("cloudwatch", credentials).describe_alarms()["MetricAlarms"]

    assert alarm_name(cloud) in {alarm["AlarmName"] for alarm in alarms}


# ------------------------------------------------------------------ requests nobody signed properly


def form(**fields: str) -> str:
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in fields.items())


def query_request(
    cloud: LocalCloud, fields: dict[str, str], headers: dict[str, str] | None = None
) -> requests.Response:
    """A CloudWatch request in the query protocol, as older SDKs and hand-written clients send it."""
    return requests.post(
        cloud.endpoints.aws,
        data=form(Version="2010-08-01", **fields),
        headers={"Content-Type": FORM, **(headers or {})},
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"Action": "DeleteAlarms", "AlarmNames.member.1": "{alarm}"},
        {"Action": "DisableAlarmActions", "AlarmNames.member.1": "{alarm}"},
        {"Action": "SetAlarmState", "AlarmName": "{alarm}", "StateValue": "OK", "StateReason": "x"},
    ],
)
def test_an_unsigned_or_forged_request_cannot_silence_an_alarm(
    cloud: LocalCloud, fields: dict[str, str]
) -> None:
    filled = {name: value.format(alarm=alarm_name(cloud)) for name, value in fields.items()}
    now = datetime.now(UTC)
    forged = (
        f"AWS4-HMAC-SHA256 Credential=AKIAFORGEDFORGED0000/{now:%Y%m%d}/{REGION}/monitoring/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}"
    )

    unsigned = query_request(cloud, filled)
    forged_signature = query_request(
        cloud, filled, headers={"Authorization": forged, "X-Amz-Date": now.strftime(AMZ_DATE_FORMAT)}
    )
    # Cognito's public sign-in is the one operation admitted unsigned: claiming it changes nothing.
    sign_in_header = query_request(
        cloud,
        filled,
        headers={
            "Authorization": forged,
            "X-Amz-Date": now.strftime(AMZ_DATE_FORMAT),
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
    )

    for response in (unsigned, forged_signature, sign_in_header):
        assert response.status_code in (400, 403), response.text
        assert "<Code>" in response.text


def test_a_request_cannot_name_one_alarm_to_the_authoriser_and_another_to_cloudwatch(
    cloud: LocalCloud,
) -> None:
    """Allowed on its own alarms only, the attacker names its own in the form and the stack's in the
    query string: the request names two alarms, so it is refused rather than authorised for one."""
    own = f"team-{uuid.uuid4().hex[:6]}"
    _, credentials = create_role(
        cloud,
        f"team-{uuid.uuid4().hex[:6]}",
        [
            {
                "Effect": "Allow",
                "Action": "cloudwatch:*",
                "Resource": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:team-*",
            }
        ],
    )
    ATTEMPTS["PutMetricAlarm"](cloud.client("cloudwatch", credentials), own)

    response = requests.post(
        f"{cloud.endpoints.aws}/?AlarmName={quote(alarm_name(cloud))}",
        data=form(
            Action="SetAlarmState", Version="2010-08-01", AlarmName=own, StateValue="OK", StateReason="x"
        ),
        headers={"Content-Type": FORM},
        auth=sigv4(credentials, "monitoring"),
        timeout=TIMEOUT,
    )

    assert response.status_code == 400, response.text
    assert "AmbiguousRequest" in response.text
    cloud.client("cloudwatch").delete_alarms(AlarmNames=[own])


# ------------------------------------------------------------------ the operators' topic


@pytest.fixture(scope="module")
def listener(cloud: LocalCloud) -> str:
    """An operator's queue subscribed to the alarm topic, as a pager would be: whatever the topic
    publishes lands here, and nothing consumes it."""
    assert cloud.stack is not None
    return queue_subscribed_to(cloud, cloud.stack.outputs["AlarmTopicArn"], f"pager-{uuid.uuid4().hex[:8]}")


def heard(cloud: LocalCloud, url: str) -> list[str]:
    answer = cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [message["Body"] for message in answer.get("Messages", [])]


@pytest.mark.parametrize("who", ["a role granted sns:* on everything", "NotifyBookingFunctionRole"])
def test_nobody_can_send_the_operators_a_false_alarm_or_a_false_all_clear(
    cloud: LocalCloud, listener: str, who: str
) -> None:
    assert cloud.stack is not None
    credentials: Credentials = (
        create_principal(cloud, f"publisher-{uuid.uuid4().hex[:6]}", ["sns:*"])
        if who.startswith("a role")
        else cloud.role_credentials(who)
    )
    sns = cloud.client("sns", credentials)
    topic = cloud.stack.outputs["AlarmTopicArn"]
    all_clear = json.dumps({"AlarmName": alarm_name(cloud), "NewStateValue": "OK", "OldStateValue": "ALARM"})

    code = refused(
        lambda: sns.publish(TopicArn=topic, Subject=f'OK: "{alarm_name(cloud)}"', Message=all_clear)
    )

    assert code in REFUSED
    assert heard(cloud, listener) == []


def test_even_the_administrator_cannot_publish_to_the_alarm_topic(cloud: LocalCloud, listener: str) -> None:
    """The Deny names every principal: only CloudWatch, for the stack's own alarms, is let in."""
    assert cloud.stack is not None

    topic = cloud.stack.outputs["AlarmTopicArn"]

    code = refused(lambda: cloud.client("sns").publish(TopicArn=topic, Message="test"))

    assert code in REFUSED
    assert heard(cloud, listener) == []
