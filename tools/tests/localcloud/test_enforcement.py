"""The local AWS endpoint's enforcement, on requests as moto's handlers see them (stand-ins for moto's
response objects): what each request needs authorised, what is refused before any policy is read, and
the parts of moto it replaces while installed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import pytest
from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError, UserNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import _RESTError
from moto.utilities.utils import load_resource

from iam_eval import PrincipalKind
from localcloud.enforcement import (
    RECEIVED_BODY,
    Enforcement,
    RequestRefusedError,
    _initiate_auth_as_cognito,
    _Parameters,
    _refusal,
    _refuse_long_chained_session,
    requested_access,
)
from localcloud.identity import MotoIdentityDirectory
from stacktools.project import ACCOUNT_ID, REGION

ENDPOINT = "http://127.0.0.1:4566"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:BookingTopic"
DECOY = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:decoy"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:GetLoyalty"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/service-role"


def received(
    service: str,
    operation: str,
    *,
    path: str = "/",
    query: str = "",
    form: Mapping[str, str] | None = None,
    json_body: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    uri_match: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> SimpleNamespace:
    """A request as moto's response object holds it once routed: the parsed parameters of services
    that parse them, the form or query (else the headers) as ``querystring``, the body, the path."""
    querystring: dict[str, Any] = {name: [value] for name, value in (form or {}).items()}
    if not querystring and query:
        querystring = {name: [value] for name, value in (pair.split("=", 1) for pair in query.split("&"))}
    if not querystring and json_body is None:
        querystring = dict(headers or {})
    body = (
        json.dumps(json_body)
        if json_body is not None
        else "&".join(f"{k}={v}" for k, v in (form or {}).items())
    )
    return SimpleNamespace(
        service_name=service,
        _get_action=lambda: operation,
        method="POST",
        uri=f"{ENDPOINT}{path}" + (f"?{query}" if query else ""),
        path=path,
        body=body,
        params=params,
        uri_match=uri_match or {},
        querystring=querystring,
        headers=dict(headers or {}),
        normalized_request=SimpleNamespace(environ={RECEIVED_BODY: body.encode()}),
    )


def needs(request: SimpleNamespace) -> list[tuple[str, str]]:
    """(action, resource) of each access the request needs; condition keys are tested on their own."""
    return [(access.action, access.resource) for access in requested_access(request, ACCOUNT_ID, REGION)]


def refusal(request: SimpleNamespace) -> RequestRefusedError:
    with pytest.raises(RequestRefusedError) as refused:
        needs(request)
    return refused.value


# ------------------------------------------------------------------ one value per parameter


def test_a_parameter_given_twice_differently_is_refused() -> None:
    request = received(
        "stepfunctions",
        "StartExecution",
        query=f"stateMachineArn=arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:booking",
        json_body={"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:decoy"},
    )

    refused = refusal(request)

    assert (refused.status, refused.error_type) == (400, "AmbiguousRequest")
    assert "stateMachineArn" in refused.message


def test_the_same_value_parsed_and_as_text_is_one_value() -> None:
    request = received(
        "sts",
        "AssumeRole",
        form={"RoleArn": ROLE, "RoleSessionName": "s"},
        params={"RoleArn": ROLE, "RoleSessionName": "s"},
    )

    assert needs(request) == [("sts:AssumeRole", ROLE)]


def test_a_parameter_moto_reads_from_the_headers_counts() -> None:
    """With no form, query or body, moto's ``querystring`` is the headers."""
    request = received(
        "stepfunctions",
        "StartExecution",
        headers={"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:booking"},
    )

    assert needs(request) == [
        ("states:StartExecution", f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:booking")
    ]


# ------------------------------------------------------------------ what each service's requests need


def test_publish_needs_every_topic_it_names() -> None:
    request = received("sns", "Publish", form={"TopicArn": DECOY, "TargetArn": TOPIC, "Message": "m"})

    assert needs(request) == [("sns:Publish", DECOY), ("sns:Publish", TOPIC)]


def test_publishing_to_a_phone_is_not_emulated() -> None:
    assert (
        refusal(received("sns", "Publish", form={"PhoneNumber": "+15550100", "Message": "m"})).status == 400
    )


def test_a_subscription_is_authorised_as_its_topic() -> None:
    request = received("sns", "Unsubscribe", form={"SubscriptionArn": f"{TOPIC}:1f2e"})

    assert needs(request) == [("sns:Unsubscribe", TOPIC)]


def test_a_queue_named_by_the_path_only_is_that_queue() -> None:
    request = received("sqs", "SendMessage", path=f"/{ACCOUNT_ID}/LoyaltyQueue", form={"MessageBody": "m"})

    assert needs(request) == [("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:LoyaltyQueue")]


def test_a_queue_named_differently_by_url_and_path_is_refused() -> None:
    request = received(
        "sqs",
        "SendMessage",
        path=f"/{ACCOUNT_ID}/LoyaltyQueue",
        form={"QueueUrl": f"{ENDPOINT}/{ACCOUNT_ID}/decoy", "MessageBody": "m"},
    )

    assert refusal(request).error_type == "AmbiguousRequest"


def test_an_invocation_names_the_function_of_its_path() -> None:
    request = received("awslambda", "Invoke", path="/2015-03-31/functions/GetLoyalty/invocations")

    assert needs(request) == [("lambda:InvokeFunction", FUNCTION)]


@pytest.mark.parametrize(
    "path",
    [
        "/2015-03-31/functions/GetLoyalty/IngestLoyalty/invocations",
        "/2015-03-31/functions/GetLoyalty/invocations/",
        "/2015-03-31/functions/GetLoyalty/configuration",
        "/2015-03-31/functions/x/../IngestLoyalty/invocations",
    ],
)
def test_an_invocation_whose_path_is_not_of_the_invoke_form_is_refused(path: str) -> None:
    refused = refusal(received("awslambda", "Invoke", path=path))

    assert (refused.status, refused.error_type) == (400, "OperationNotEmulated")


@pytest.mark.parametrize(
    "name",
    [
        f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:GetLoyalty",
        "arn:aws:lambda:" + REGION + ":999999999999:function:GetLoyalty",
        "999999999999:function:GetLoyalty",
    ],
)
def test_a_function_of_another_region_or_account_is_refused(name: str) -> None:
    path = "/2015-03-31/functions/" + name.replace(":", "%3A") + "/invocations"

    assert refusal(received("awslambda", "Invoke", path=path)).error_type == "OperationNotEmulated"


def test_a_qualified_invocation_is_authorised_on_the_version() -> None:
    request = received(
        "awslambda", "Invoke", path="/2015-03-31/functions/GetLoyalty/invocations", query="Qualifier=7"
    )

    assert needs(request) == [("lambda:InvokeFunction", f"{FUNCTION}:7")]


def test_giving_a_function_or_a_state_machine_a_role_passes_the_role() -> None:
    function = received(
        "awslambda",
        "CreateFunction",
        path="/2015-03-31/functions",
        json_body={"FunctionName": "GetLoyalty", "Role": ROLE},
    )
    machine = received("stepfunctions", "CreateStateMachine", json_body={"name": "saga", "roleArn": ROLE})

    assert needs(function) == [("lambda:CreateFunction", FUNCTION), ("iam:PassRole", ROLE)]
    assert needs(machine) == [
        ("states:CreateStateMachine", f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:saga"),
        ("iam:PassRole", ROLE),
    ]


def test_a_table_may_be_named_by_its_arn() -> None:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/Loyalty"
    request = received("dynamodb", "PutItem", json_body={"TableName": arn}, params={"TableName": arn})

    assert needs(request) == [("dynamodb:PutItem", arn)]


@pytest.mark.parametrize(
    "operation", ["ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction", "TagResource"]
)
def test_a_table_operation_naming_no_table_is_not_emulated(operation: str) -> None:
    request = received(
        "dynamodb", operation, json_body={"Statement": "UPDATE Loyalty SET points = 1"}, params={}
    )

    assert refusal(request).error_type == "OperationNotEmulated"


def test_an_account_level_operation_is_authorised_on_everything() -> None:
    assert needs(received("dynamodb", "ListTables", json_body={}, params={})) == [
        ("dynamodb:ListTables", "*")
    ]


def test_adding_a_user_to_a_group_acts_on_the_group() -> None:
    request = received("iam", "AddUserToGroup", form={"GroupName": "admins", "UserName": "mallory"})

    assert needs(request) == [("iam:AddUserToGroup", f"arn:aws:iam::{ACCOUNT_ID}:group/admins")]


@pytest.mark.parametrize(
    "form",
    [
        {"Policy": '{"Statement": []}'},
        {"PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"Tags.member.1.Key": "team", "Tags.member.1.Value": "x"},
        {"TransitiveTagKeys.member.1": "team"},
        {"ExternalId": "partner-42"},
        {"SerialNumber": "arn:aws:iam::123456789012:mfa/u", "TokenCode": "123456"},
        {"SourceIdentity": "alice"},
    ],
)
def test_what_would_shape_or_condition_a_session_is_not_emulated(form: dict[str, str]) -> None:
    request = received("sts", "AssumeRole", form={"RoleArn": ROLE, "RoleSessionName": "s", **form})

    assert refusal(request).error_type == "OperationNotEmulated"


def test_an_unknown_service_is_not_emulated() -> None:
    assert refusal(received("s3", "CreateBucket")).error_type == "OperationNotEmulated"


# ------------------------------------------------------------------ CloudWatch

ALARMS = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:"


def cloudwatch(operation: str, **parameters: Any) -> SimpleNamespace:
    """A CloudWatch request in the JSON protocol SDKs speak to it (moto parses its parameters)."""
    return received(
        "cloudwatch",
        operation,
        json_body=parameters,
        params=parameters,
        headers={"Content-Type": "application/x-amz-json-1.0"},
    )


@pytest.mark.parametrize("operation", ["DeleteAlarms", "DisableAlarmActions", "EnableAlarmActions"])
def test_an_alarm_operation_is_authorised_on_every_alarm_it_names(operation: str) -> None:
    request = cloudwatch(operation, AlarmNames=["team-errors", "airline-bookings-failing"])

    assert needs(request) == [
        (f"cloudwatch:{operation}", f"{ALARMS}team-errors"),
        (f"cloudwatch:{operation}", f"{ALARMS}airline-bookings-failing"),
    ]


@pytest.mark.parametrize("operation", ["PutMetricAlarm", "SetAlarmState", "DescribeAlarmHistory"])
def test_defining_or_setting_an_alarm_is_authorised_on_that_alarm(operation: str) -> None:
    assert needs(cloudwatch(operation, AlarmName="airline-bookings-failing")) == [
        (f"cloudwatch:{operation}", f"{ALARMS}airline-bookings-failing")
    ]


def test_reading_every_alarm_is_authorised_on_every_alarm() -> None:
    everything = [("cloudwatch:DescribeAlarms", f"{ALARMS}*")]

    assert needs(cloudwatch("DescribeAlarms")) == everything
    assert needs(cloudwatch("DescribeAlarms", AlarmNamePrefix="airline-")) == everything
    assert needs(cloudwatch("DescribeAlarms", AlarmNames=["team-errors"])) == [
        ("cloudwatch:DescribeAlarms", f"{ALARMS}team-errors")
    ]
    assert needs(cloudwatch("DescribeAlarmHistory")) == [("cloudwatch:DescribeAlarmHistory", f"{ALARMS}*")]


def test_metrics_are_no_resource_and_the_actions_are_cloudwatchs_not_the_signing_names() -> None:
    assert needs(cloudwatch("ListMetrics")) == [("cloudwatch:ListMetrics", "*")]
    assert needs(cloudwatch("GetMetricData", MetricDataQueries=[])) == [("cloudwatch:GetMetricData", "*")]
    (put,) = requested_access(cloudwatch("PutMetricData", Namespace="ServerlessAirline"), ACCOUNT_ID, REGION)
    assert (put.action, put.resource, dict(put.context)) == (
        "cloudwatch:PutMetricData",
        "*",
        {"cloudwatch:namespace": "ServerlessAirline"},
    )


def test_dashboards_are_global_and_insight_rules_regional() -> None:
    assert needs(cloudwatch("DeleteDashboards", DashboardNames=["ops"])) == [
        ("cloudwatch:DeleteDashboards", f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/ops")
    ]
    assert needs(cloudwatch("PutInsightRule", RuleName="top-callers")) == [
        ("cloudwatch:PutInsightRule", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:insight-rule/top-callers")
    ]


def test_an_alarm_of_another_account_or_an_operation_naming_no_alarm_is_not_emulated() -> None:
    elsewhere = f"arn:aws:cloudwatch:{REGION}:210987654321:alarm:theirs"

    assert (
        refusal(cloudwatch("TagResource", ResourceARN=elsewhere, Tags=[])).error_type
        == "OperationNotEmulated"
    )
    assert refusal(cloudwatch("DeleteAlarms", AlarmNames=[])).error_type == "OperationNotEmulated"
    refused = refusal(cloudwatch("PutMetricStream", Name="everything"))
    assert refused.error_type == "OperationNotEmulated"
    assert "cloudwatch:PutMetricStream" in refused.message


def test_an_alarm_named_twice_differently_is_refused() -> None:
    request = received(
        "cloudwatch",
        "SetAlarmState",
        form={"AlarmName": "team-errors", "StateValue": "OK", "StateReason": "x"},
        query="AlarmName=airline-bookings-failing",
        params={"AlarmName": "team-errors", "StateValue": "OK", "StateReason": "x"},
    )

    assert refusal(request).error_type == "AmbiguousRequest"


# ------------------------------------------------------------------ before any policy is read


@pytest.fixture
def enforcement() -> Enforcement:
    enforcing = Enforcement(MotoIdentityDirectory(ACCOUNT_ID, REGION), account_id=ACCOUNT_ID, region=REGION)
    enforcing.enabled = True
    return enforcing


def refused_by(enforcement: Enforcement, request: SimpleNamespace) -> _RESTError:
    with pytest.raises(_RESTError) as refused:
        enforcement.authorize(request)
    return refused.value


def test_a_public_operation_header_exempts_nothing(enforcement: Enforcement) -> None:
    """Routed to SNS and running Publish, the request is SNS's Publish whatever X-Amz-Target says."""
    request = received(
        "sns",
        "Publish",
        form={"TopicArn": TOPIC, "Message": "m"},
        headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"},
    )

    refused = refused_by(enforcement, request)

    assert refused.code == 403
    assert refused.error_type == "MissingAuthenticationToken"


def test_cognito_password_sign_in_needs_no_signature(enforcement: Enforcement) -> None:
    request = received(
        "cognito-idp", "InitiateAuth", json_body={"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "c"}
    )

    enforcement.authorize(request)


@pytest.mark.parametrize("flow", ["USER_SRP_AUTH", "CUSTOM_AUTH", None])
def test_cognito_sign_in_by_another_flow_is_not_emulated(enforcement: Enforcement, flow: str | None) -> None:
    request = received("cognito-idp", "InitiateAuth", json_body={"AuthFlow": flow, "ClientId": "c"})

    refused = refused_by(enforcement, request)

    assert (refused.code, refused.error_type) == (400, "OperationNotEmulated")


@pytest.mark.parametrize(
    "operation", ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetFederationToken", "GetSessionToken"]
)
def test_credentials_from_sts_other_than_assume_role_are_not_emulated(
    enforcement: Enforcement, operation: str
) -> None:
    request = received("sts", operation, form={"RoleArn": ROLE, "WebIdentityToken": "garbage"})

    refused = refused_by(enforcement, request)

    assert (refused.code, refused.error_type) == (400, "OperationNotEmulated")
    assert f"sts:{operation}" in refused.message


def test_a_request_that_did_not_come_through_the_front_door_is_refused(enforcement: Enforcement) -> None:
    request = received("sqs", "ListQueues", form={}, headers={"Authorization": "AWS4-HMAC-SHA256 ..."})
    request.normalized_request.environ.clear()

    assert refused_by(enforcement, request).code == 400


@pytest.mark.parametrize(
    ("content_type", "answer"),
    [
        ("application/x-amz-json-1.0", '"__type": "AccessDenied"'),
        ("application/x-www-form-urlencoded", "<Code>AccessDenied</Code>"),
    ],
)
def test_cloudwatch_is_refused_in_the_protocol_it_was_asked_in(content_type: str, answer: str) -> None:
    """SDKs speak JSON to CloudWatch, older clients its query protocol; either gets AWS's error code."""
    request = cloudwatch("DeleteAlarms", AlarmNames=["airline-bookings-failing"])
    request.headers = {"Content-Type": content_type}

    refused = _refusal(request, 403, "AccessDeniedException", "not authorized")

    assert answer in str(refused.description)  # type: ignore[attr-defined]


# ------------------------------------------------------------------ what is replaced in moto


def test_installing_replaces_the_hook_and_the_pools_keys_and_uninstalling_restores_them(
    enforcement: Enforcement,
) -> None:
    motos_key = load_resource("cognitoidp/resources/jwks-private.json")["n"]
    originals = (
        ActionAuthenticatorMixin._authenticate_and_authorize_normal_action,
        CognitoIdpUserPool.__init__,
        CognitoIdpBackend.initiate_auth,
    )
    enforcement.install()
    try:
        first, second = (CognitoIdpUserPool(ACCOUNT_ID, REGION, f"pool-{n}", {}) for n in range(2))
        keys = {pool.json_web_key.as_dict(private=False)["n"] for pool in (first, second)}
    finally:
        enforcement.uninstall()

    assert len(keys) == 2
    assert motos_key not in keys
    assert (
        ActionAuthenticatorMixin._authenticate_and_authorize_normal_action,
        CognitoIdpUserPool.__init__,
        CognitoIdpBackend.initiate_auth,
    ) == originals
    assert CognitoIdpUserPool(ACCOUNT_ID, REGION, "after", {}).json_web_key.as_dict()["n"] == motos_key


PASSWORD: dict[str, Any] = {"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}


def fake_backend(**client_settings: Any) -> Any:
    client = SimpleNamespace(extended_config=client_settings)
    return SimpleNamespace(user_pools={"pool": SimpleNamespace(clients={"client": client})})


def test_an_unknown_user_is_told_what_a_wrong_password_is_told() -> None:
    def user_not_found(*_: Any) -> Any:
        raise UserNotFoundError("nobody")

    initiate_auth = _initiate_auth_as_cognito(user_not_found)

    with pytest.raises(NotAuthorizedError, match=r"Incorrect username or password\."):
        initiate_auth(
            fake_backend(PreventUserExistenceErrors="ENABLED", **PASSWORD), "client", "USER_PASSWORD_AUTH", {}
        )
    with pytest.raises(UserNotFoundError):
        initiate_auth(
            fake_backend(PreventUserExistenceErrors="LEGACY", **PASSWORD), "client", "USER_PASSWORD_AUTH", {}
        )


def test_a_flow_the_app_client_does_not_allow_signs_no_one_in() -> None:
    initiate_auth = _initiate_auth_as_cognito(lambda *_: {"AuthenticationResult": {}})
    srp_only = fake_backend(ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])

    with pytest.raises(InvalidParameterException, match="USER_PASSWORD_AUTH flow not enabled"):
        initiate_auth(srp_only, "client", "USER_PASSWORD_AUTH", {})
    with pytest.raises(InvalidParameterException):
        initiate_auth(fake_backend(), "client", "USER_PASSWORD_AUTH", {})  # not among Cognito's defaults
    assert initiate_auth(srp_only, "client", "REFRESH_TOKEN_AUTH", {}) == {"AuthenticationResult": {}}


@pytest.mark.parametrize(
    ("kind", "duration", "refused"),
    [
        (PrincipalKind.ROLE_SESSION, "3600", False),
        (PrincipalKind.ROLE_SESSION, "3601", True),
        (PrincipalKind.USER, "7200", False),
    ],
)
def test_a_role_chained_session_lasts_an_hour_at_most(
    kind: PrincipalKind, duration: str, refused: bool
) -> None:
    request = received(
        "sts", "AssumeRole", form={"RoleArn": ROLE, "RoleSessionName": "s", "DurationSeconds": duration}
    )
    caller = SimpleNamespace(principal=SimpleNamespace(kind=kind))

    if refused:
        with pytest.raises(RequestRefusedError, match="role chaining"):
            _refuse_long_chained_session("AssumeRole", _Parameters(request), caller)  # type: ignore[arg-type]
    else:
        _refuse_long_chained_session("AssumeRole", _Parameters(request), caller)  # type: ignore[arg-type]
