"""Every moto seam of the local cloud still has the shape and the behaviour it was written against.

Run these first after a moto upgrade (tools/README.md, "Upgrading moto"): a failure names the seam
that changed. Each behaviour test checks the assumption the seam's replacement relies on, in moto
itself, not the local cloud's replacement (tested with the part that uses it).
"""

from __future__ import annotations

import importlib.util
import inspect
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto import mock_aws
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends
from moto.core.config import default_user_config
from moto.core.exceptions import JsonRESTError
from moto.iam.models import IAMBackend
from moto.sns.models import sns_backends
from moto.sqs.models import Queue, sqs_backends
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from localcloud import moto_seams
from localcloud.moto_seams import MethodSeam, SeamChangedError
from stacktools.project import ACCOUNT_ID, REGION

ALL_METHOD_SEAMS = (*moto_seams.METHOD_SEAMS, moto_seams.OPERATION_OF_REQUEST)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _seam_id(seam: MethodSeam) -> str:
    return seam.name


# ------------------------------------------------------------------------------- shape, for every seam


@pytest.mark.parametrize("seam", ALL_METHOD_SEAMS, ids=_seam_id)
def test_the_pinned_moto_has_what_the_seam_relies_on(seam: MethodSeam) -> None:
    seam.check()


@pytest.mark.parametrize("seam", ALL_METHOD_SEAMS, ids=_seam_id)
def test_a_changed_signature_is_refused_naming_the_seam(
    seam: MethodSeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    def changed(self: Any, something_else: Any) -> None: ...

    monkeypatch.setattr(seam.owner, seam.attribute, changed)
    with pytest.raises(SeamChangedError, match=f"moto seam '{seam.name}': .* takes") as refused:
        seam.replace(lambda *args: None)
    assert refused.value.seam == seam.name
    assert getattr(seam.owner, seam.attribute) is changed  # nothing installed


@pytest.mark.parametrize("seam", [seam for seam in ALL_METHOD_SEAMS if seam.relies_on], ids=_seam_id)
def test_a_method_no_longer_running_the_relied_on_line_is_refused_naming_the_seam(
    seam: MethodSeam, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assumption = seam.relies_on[0]
    # The same parameters, none of the body: what a moto that reworked the method would look like.
    module = tmp_path / "rewritten_moto.py"
    module.write_text(f"def rewritten{_signature_of(assumption.function())}:\n    pass\n")
    spec = importlib.util.spec_from_file_location("rewritten_moto", module)
    assert spec is not None
    assert spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    rewritten: Any = loaded.rewritten
    found = inspect.getattr_static(assumption.owner, assumption.attribute)
    if isinstance(found, property):
        rewritten = property(found.fget, rewritten)
    elif isinstance(found, classmethod):
        rewritten = classmethod(rewritten)
    monkeypatch.setattr(assumption.owner, assumption.attribute, rewritten)
    with pytest.raises(SeamChangedError, match=f"moto seam '{seam.name}': .* no longer runs"):
        seam.check()


def _signature_of(function: Callable[..., Any]) -> str:
    parameters = inspect.signature(function).parameters.values()
    return "(" + ", ".join(p.name if p.default is p.empty else f"{p.name}=None" for p in parameters) + ")"


def test_a_missing_method_is_refused_naming_the_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(CognitoIdpUserPool, "create_jwt")
    with pytest.raises(
        SeamChangedError, match=r"'user pool signing key': CognitoIdpUserPool\.create_jwt no longer"
    ):
        moto_seams.USER_POOL_SIGNING_KEY.check()


def test_a_replacement_is_restored_once_and_exactly() -> None:
    seam = moto_seams.EXECUTION_START_DETAILS
    original = getattr(seam.owner, seam.attribute)
    with seam.replaced_by(lambda execution: None) as replaced:
        assert getattr(seam.owner, seam.attribute) is not original
        assert replaced.original is original
    assert getattr(seam.owner, seam.attribute) is original
    replaced.restore()
    assert getattr(seam.owner, seam.attribute) is original


# ------------------------------------------------------------------------------- behaviour, per seam


def test_request_authorization_runs_before_every_operation_and_its_refusal_stops_it(aws: None) -> None:
    seen: list[str] = []

    def refuse(response: Any, resource: str = "*") -> None:
        seen.append(moto_seams.operation_of(response))
        raise JsonRESTError("AccessDeniedException", "refused by the seam test")

    sqs = boto3.client("sqs", region_name=REGION)
    with moto_seams.REQUEST_AUTHORIZATION.replaced_by(refuse), pytest.raises(sqs.exceptions.ClientError):
        sqs.create_queue(QueueName="never")

    assert seen == ["CreateQueue"]  # operation of a request: the operation moto's handler runs
    assert sqs_backends[ACCOUNT_ID][REGION].queues == {}


def test_user_pool_signing_key_is_the_pools_json_web_key_under_the_known_kid(aws: None) -> None:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(PoolName="pool")["UserPool"]["Id"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="user")
    pool = cognitoidp_backends[ACCOUNT_ID][REGION].user_pools[pool_id]
    own = RSAKey.generate_key(2048, {"kid": moto_seams.USER_POOL_TOKEN_KID, "alg": "RS256"}, private=True)
    pool.json_web_key = own
    token, _ = pool.create_jwt("client", "user", "id")

    decoded = jwt.decode(token, own)  # verifies with the pool's own key only
    assert decoded.header["kid"] == moto_seams.USER_POOL_TOKEN_KID


def test_cognito_sign_in_goes_through_the_backends_initiate_auth(aws: None) -> None:
    def refuse(backend: Any, client_id: str, auth_flow: str, auth_parameters: dict[str, str]) -> Any:
        raise NotAuthorizedError("refused by the seam test")

    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool = cognito.create_user_pool(PoolName="pool")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="app")["UserPoolClient"]["ClientId"]
    with (
        moto_seams.INITIATE_AUTH.replaced_by(refuse),
        pytest.raises(cognito.exceptions.NotAuthorizedException, match="seam test"),
    ):
        cognito.initiate_auth(
            ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "u", "PASSWORD": "p"}
        )


def _function(name: str = "fn") -> str:
    iam = boto3.client("iam", region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return str(
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
    )


def test_lambda_invoke_answers_the_replacements_payload_and_function_error_header(aws: None) -> None:
    _function()

    def invoke(function: Any, body: str, request_headers: Any, response_headers: Any) -> bytes:
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"ran": function.function_name, "event": json.loads(body)}).encode()

    with moto_seams.FUNCTION_INVOKE.replaced_by(invoke):
        answer = boto3.client("lambda", region_name=REGION).invoke(FunctionName="fn", Payload=b'{"a": 1}')

    assert json.loads(answer["Payload"].read()) == {"ran": "fn", "event": {"a": 1}}
    assert answer["FunctionError"] == "Unhandled"


def test_lambda_code_run_is_where_an_invocations_payload_comes_from(aws: None) -> None:
    _function()

    def run(function: Any, event: Any = None) -> tuple[str, bool, str]:
        return json.dumps({"in process": event}), False, ""  # the event moto parsed from the payload

    with moto_seams.FUNCTION_CODE_RUN.replaced_by(run):
        answer = boto3.client("lambda", region_name=REGION).invoke(FunctionName="fn", Payload=b'{"a": 1}')

    assert json.loads(answer["Payload"].read()) == {"in process": {"a": 1}}


def test_event_source_mapping_creation_attaches_the_function_to_the_queue_and_detaching_stops_moto_invoking(
    aws: None,
) -> None:
    function_arn = _function()
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="source")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    runs: list[Any] = []

    def run(function: Any, event: Any = None) -> tuple[str, bool, str]:
        runs.append(event)
        return "{}", False, ""

    created: list[Any] = []

    def create(backend: Any, spec: dict[str, Any]) -> Any:
        created.append(replaced.original(backend, spec))
        return created[-1]

    with (
        moto_seams.EVENT_SOURCE_MAPPING_CREATION.replaced_by(create) as replaced,
        moto_seams.FUNCTION_CODE_RUN.replaced_by(run),
    ):
        boto3.client("lambda", region_name=REGION).create_event_source_mapping(
            EventSourceArn=queue_arn, FunctionName="fn"
        )
        queue = sqs_backends[ACCOUNT_ID][REGION].get_queue("source")
        assert [mapping.function_arn for mapping in created] == [function_arn]
        sqs.send_message(QueueUrl=url, MessageBody="attached")
        assert len(runs) == 1  # moto invokes the mapped function itself, synchronously

        moto_seams.detach_queue_mapping(queue, function_arn)
        sqs.send_message(QueueUrl=url, MessageBody="detached")
        assert len(runs) == 1


def test_sqs_queue_attributes_clear_an_unnamed_policy_and_a_new_queue_has_none_yet(aws: None) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    policy_set_while_creating: list[bool] = []

    def spy(queue: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        policy_set_while_creating.append(moto_seams.queue_policy_set(queue))
        replaced.original(queue, attributes, now)

    with moto_seams.QUEUE_SET_ATTRIBUTES.replaced_by(spy) as replaced:
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    queue = sqs_backends[ACCOUNT_ID][REGION].get_queue("q")
    assert policy_set_while_creating[0] is False
    assert moto_seams.queue_policy_set(queue)
    assert queue.policy

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5"})

    assert not queue.policy  # moto cleared it: what localcloud.queue_attributes exists for


def test_sns_delivery_filters_parses_and_delivers_whatever_the_queue_policy_says(aws: None) -> None:
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="topic")["TopicArn"]
    url = sqs.create_queue(QueueName="refusing")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:*"}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(deny)})
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"status": ["CONFIRMED"]}), "RawMessageDelivery": "true"},
    )
    [subscription] = sns_backends[ACCOUNT_ID][REGION].subscriptions.values()

    matcher = moto_seams.filter_policy_matcher(subscription)
    confirmed = {"status": {"DataType": "String", "Value": "CONFIRMED"}}
    assert matcher.matches(confirmed, "m")
    assert not matcher.matches({"status": {"DataType": "String", "Value": "CANCELLED"}}, "m")
    assert (
        moto_seams.structured_message(subscription, json.dumps({"default": "d", "sqs": "for sqs"}))
        == "for sqs"
    )

    sns.publish(
        TopicArn=topic,
        Message="delivered",
        MessageAttributes={"status": {"DataType": "String", "StringValue": "CONFIRMED"}},
    )
    received = sqs.receive_message(QueueUrl=url).get("Messages", [])
    assert [message["Body"] for message in received] == ["delivered"]  # despite the Deny: why the seam exists


def test_step_functions_clients_are_rebound_in_every_task_module_and_restored() -> None:
    modules = moto_seams.check_step_functions_clients()
    originals = {module.__name__: module.boto_client_for for module in modules}

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any: ...

    replaced = moto_seams.replace_step_functions_clients(client_for)
    try:
        assert all(module.boto_client_for is client_for for module in modules)
    finally:
        replaced.restore()
    assert {module.__name__: module.boto_client_for for module in modules} == originals


def test_dispatch_of_every_service_is_the_one_function_their_routes_share() -> None:
    assert SQSResponse.dispatch.__func__ is moto_seams.dispatch_function()  # type: ignore[attr-defined]


def test_moto_settings_are_set_for_the_local_cloud_and_restored() -> None:
    before = {key: default_user_config[key] for key in ("iam", "stepfunctions")}
    settings = moto_seams.LocalCloudSettings()
    try:
        assert default_user_config["iam"] == {"load_aws_managed_policies": True}
        assert default_user_config["stepfunctions"] == {"execute_state_machine": True}
    finally:
        settings.restore()
    assert {key: default_user_config[key] for key in before} == before  # type: ignore[literal-required]


def test_resetting_moto_forgets_every_resource(aws: None) -> None:
    boto3.client("sqs", region_name=REGION).create_queue(QueueName="forgotten")
    moto_seams.reset_moto()
    assert boto3.client("sqs", region_name=REGION).list_queues().get("QueueUrls", []) == []


def test_resetting_moto_drops_the_backends_so_the_next_ones_load_managed_policies_as_configured() -> None:
    # The reset's own IAM backends get no managed policies: they must be thrown away, not kept.
    policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        iam = boto3.client("iam", region_name=REGION)
        assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["Arn"] == policy_arn
        moto_seams.reset_moto()
        assert default_user_config["iam"] == {"load_aws_managed_policies": True}
        assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["Arn"] == policy_arn


def test_aws_managed_policies_are_loaded_in_the_local_clouds_partition_only_and_restored() -> None:
    settings = moto_seams.LocalCloudSettings()
    try:
        in_partition = IAMBackend(region_name="aws", account_id=ACCOUNT_ID)
        elsewhere = IAMBackend(region_name="aws-cn", account_id=ACCOUNT_ID)
        assert "arn:aws:iam::aws:policy/AdministratorAccess" in in_partition.managed_policies
        assert elsewhere.managed_policies == {}
    finally:
        settings.restore()
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        restored = IAMBackend(region_name="aws-cn", account_id=ACCOUNT_ID)
        assert "arn:aws-cn:iam::aws:policy/AdministratorAccess" in restored.managed_policies


def test_a_static_method_replaced_stays_static_and_is_restored_exactly() -> None:
    seam = moto_seams.DEFINITION_PARSE
    original = inspect.getattr_static(seam.owner, seam.attribute)
    assert isinstance(original, staticmethod)
    with seam.replaced_by(lambda definition: ("program", definition)) as replaced:
        assert seam.owner.parse("text") == ("program", "text")  # type: ignore[attr-defined]
        assert object.__new__(seam.owner).parse("text") == ("program", "text")
        assert replaced.original is original
    assert inspect.getattr_static(seam.owner, seam.attribute) is original


def test_step_functions_definitions_parse_into_a_tree_from_which_new_programs_are_built() -> None:
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    parse = moto_seams.DEFINITION_PARSE.owner.parse  # type: ignore[attr-defined]
    program, tree = parse(definition)
    rebuilt = moto_seams.evaluation_program(tree)
    assert type(rebuilt) is type(program)
    assert rebuilt is not program
    assert rebuilt.start_at.start_at_name == program.start_at.start_at_name == "Done"


def _described(policy: Any) -> dict[str, Any]:
    """What a managed policy holds, but its random id, with each version's document and dates."""
    described = {key: value for key, value in vars(policy).items() if key not in {"id", "versions"}}
    described["versions"] = [
        (version.version_id, version.document, version.is_default, version.create_date)
        for version in policy.versions
    ]
    return described


def test_every_aws_managed_policy_is_the_one_moto_builds_with_its_document_made_once() -> None:
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        built_by_moto = IAMBackend(region_name="aws", account_id=ACCOUNT_ID).managed_policies
        replaced = moto_seams.aws_managed_policies_only_in("aws")
        try:
            first = IAMBackend(region_name="aws", account_id=ACCOUNT_ID).managed_policies
            second = IAMBackend(region_name="aws", account_id="210987654321").managed_policies
        finally:
            replaced.restore()

    assert len(built_by_moto) > 1000
    assert {arn: _described(policy) for arn, policy in first.items()} == {
        arn: _described(policy) for arn, policy in built_by_moto.items()
    }
    administrator = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert second[administrator].account_id == "210987654321"
    assert second[administrator] is not first[administrator]  # each account its own (attachment counts...)


def test_aws_managed_policies_can_be_only_the_named_ones_as_moto_builds_them() -> None:
    named = ["AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"]
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        everything = IAMBackend(region_name="aws", account_id=ACCOUNT_ID).managed_policies
        replaced = moto_seams.aws_managed_policies_only_in("aws", named)
        try:
            only_named = IAMBackend(region_name="aws", account_id=ACCOUNT_ID).managed_policies
            elsewhere = IAMBackend(region_name="aws-cn", account_id=ACCOUNT_ID).managed_policies
        finally:
            replaced.restore()
    assert sorted(policy.name for policy in only_named.values()) == named
    assert elsewhere == {}
    for arn, policy in only_named.items():  # built as moto builds every one of them
        built_by_moto = everything[arn]
        assert (policy.path, policy.default_version_id, policy.versions[0].document) == (
            built_by_moto.path,
            built_by_moto.default_version_id,
            built_by_moto.versions[0].document,
        )
    with mock_aws(config={"iam": {"load_aws_managed_policies": False}}):
        replaced = moto_seams.aws_managed_policies_only_in("aws", named)
        try:
            assert IAMBackend(region_name="aws", account_id=ACCOUNT_ID).managed_policies == {}
        finally:
            replaced.restore()


def _retried_state_machine(aws_function_arn: str) -> str:
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": aws_function_arn,
                "Retry": [
                    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "MaxAttempts": 2, "BackoffRate": 3}
                ],
                "End": True,
            }
        },
    }
    role = "arn:aws:iam::123456789012:role/machine"
    return str(
        boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="retried", definition=json.dumps(definition), roleArn=role
        )["stateMachineArn"]
    )


def _finished(execution_arn: str) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    while (description := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        time.sleep(0.01)
    return dict(description)


def test_retry_waits_are_recorded_in_order_instead_of_slept_and_the_retries_still_happen() -> None:
    attempts: list[Any] = []

    def fail(function: Any, event: Any = None) -> tuple[str, bool, str]:
        attempts.append(event)
        return json.dumps({"errorType": "Boom", "errorMessage": "failed"}), True, ""

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        machine = _retried_state_machine(_function())
        waits = moto_seams.RecordedRetryWaits()
        try:
            with moto_seams.FUNCTION_CODE_RUN.replaced_by(fail):
                execution = boto3.client("stepfunctions", region_name=REGION).start_execution(
                    stateMachineArn=machine, input="{}"
                )["executionArn"]
                outcome = _finished(execution)
        finally:
            waits.restore()

    assert (outcome["status"], outcome["error"]) == ("FAILED", "Boom")
    assert len(attempts) == 3  # the first attempt and MaxAttempts retries
    assert waits.intervals == [5, 15]  # IntervalSeconds, then times BackoffRate
    assert getattr(retrier_decl, "time") is time  # noqa: B009 - not exported


def _new_pool_key() -> Any:
    with mock_aws():
        pool = boto3.client("cognito-idp", region_name=REGION).create_user_pool(PoolName="p")["UserPool"]
        return cognitoidp_backends[ACCOUNT_ID][REGION].user_pools[pool["Id"]].json_web_key


def test_each_pool_gets_moto_s_key_imported_once() -> None:
    keys = moto_seams.ImportedUserPoolKeys()
    try:
        first, second = _new_pool_key(), _new_pool_key()
    finally:
        keys.restore()

    assert second is first
    imported_by_moto = CognitoIdpUserPool(ACCOUNT_ID, REGION, "p", {}).json_web_key
    assert imported_by_moto is not first
    assert imported_by_moto.as_dict(private=True) == first.as_dict(private=True)
    # The kept key signs as moto's own does.
    token = jwt.encode({"kid": "dummy", "alg": "RS256"}, {"sub": "someone"}, first)
    assert jwt.decode(token, imported_by_moto).claims == {"sub": "someone"}


def test_after_restoring_each_pool_imports_its_key_again() -> None:
    moto_seams.ImportedUserPoolKeys().restore()

    assert _new_pool_key() is not _new_pool_key()


def test_the_kept_key_refuses_a_moto_that_imports_it_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        moto_seams,
        "_USER_POOL_KEY_LINE",
        moto_seams.SourceAssumption(CognitoIdpUserPool, "__init__", "no such line"),
    )

    with pytest.raises(moto_seams.SeamChangedError, match="user pool key import"):
        moto_seams.ImportedUserPoolKeys()
