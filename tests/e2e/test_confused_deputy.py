"""The confused deputy guard, from the other side: AppSync acting for another API, or Step Functions
running another state machine, in this account or another, cannot assume the stack's roles. The local
cloud assumes each role as the service does (with ``aws:SourceArn`` and ``aws:SourceAccount``) and
decides with the role's trust policy; here those keys name someone else."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from tests.support.local_cloud import ACCOUNT_ID, REGION, LocalCloud, TrustPolicyError
from tests.support.local_stack import arn_of, finished_execution, item
from tests.support.template import sample_flights, seed

pytestmark = pytest.mark.local_cloud

APPSYNC = "appsync.amazonaws.com"
DATA_SOURCE_ROLES = [
    "LoyaltyDataSourceRole",
    "BookingDataSourceRole",
    "FlightReadRole",
    "BookingReadRole",
    "PaymentRegistrationRole",
]
OTHER_ACCOUNT = "210987654321"


def assume(cloud: LocalCloud, role: str, service: str, source_arn: str, account: str = ACCOUNT_ID) -> None:
    cloud.directory.service_role_credentials(
        arn_of(cloud, role),
        service,
        "confused-deputy",
        {"aws:SourceArn": source_arn, "aws:SourceAccount": account},
    )


def this_api(cloud: LocalCloud) -> str:
    return arn_of(cloud, "GraphQLApi")


@pytest.mark.parametrize("role", DATA_SOURCE_ROLES)
def test_appsync_acting_for_another_api_cannot_assume_a_data_source_role(
    cloud: LocalCloud, role: str
) -> None:
    another_api = f"arn:aws:appsync:{REGION}:{ACCOUNT_ID}:apis/{uuid.uuid4().hex[:26]}"

    with pytest.raises(TrustPolicyError):
        assume(cloud, role, APPSYNC, another_api)
    with pytest.raises(TrustPolicyError):
        assume(cloud, role, APPSYNC, this_api(cloud).replace(ACCOUNT_ID, OTHER_ACCOUNT), OTHER_ACCOUNT)
    with pytest.raises(TrustPolicyError):
        assume(cloud, role, APPSYNC, this_api(cloud), OTHER_ACCOUNT)
    # What the local AppSync does for this API, which the booking flows rely on.
    assume(cloud, role, APPSYNC, this_api(cloud))


def test_the_logging_role_admits_appsync_for_this_accounts_apis_in_this_region_only(
    cloud: LocalCloud,
) -> None:
    """It cannot name its API (the API names it); another API of the account can use it, and can then
    only write into this API's log group (GraphQLApiLoggingPolicy)."""
    elsewhere = this_api(cloud).replace(f":{REGION}:", ":us-east-1:")

    with pytest.raises(TrustPolicyError):
        assume(cloud, "GraphQLApiLoggingRole", APPSYNC, elsewhere)
    with pytest.raises(TrustPolicyError):
        assume(
            cloud,
            "GraphQLApiLoggingRole",
            APPSYNC,
            this_api(cloud).replace(ACCOUNT_ID, OTHER_ACCOUNT),
            OTHER_ACCOUNT,
        )
    assume(cloud, "GraphQLApiLoggingRole", APPSYNC, this_api(cloud))


def test_step_functions_running_another_state_machine_cannot_assume_the_sagas_role(cloud: LocalCloud) -> None:
    booking_saga = cloud.stack.outputs["BookingStateMachineArn"] if cloud.stack else ""
    impostor = booking_saga.replace(":stateMachine:", ":stateMachine:impostor-")

    with pytest.raises(TrustPolicyError):
        assume(cloud, "BookingStateMachineRole", "states.amazonaws.com", impostor)
    with pytest.raises(TrustPolicyError):
        assume(cloud, "BookingStateMachineRole", "states.amazonaws.com", booking_saga, OTHER_ACCOUNT)
    assume(cloud, "BookingStateMachineRole", "states.amazonaws.com", booking_saga)


def test_a_state_machine_given_the_sagas_role_cannot_act_with_it(cloud: LocalCloud) -> None:
    """Someone allowed to create state machines (and to pass the role) writes one that empties a
    flight's seats with the saga's role: its task is refused, and the flight keeps its seats."""
    assert cloud.stack is not None
    flight = sample_flights(datetime.now(UTC).date())[0]
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], [flight])
    sfn = cloud.client("stepfunctions")
    definition = {
        "StartAt": "TakeEverySeat",
        "States": {
            "TakeEverySeat": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": {
                    "TableName": cloud.stack.outputs["FlightTableName"],
                    "Key": {"id": {"S": flight.id}},
                    "UpdateExpression": "SET seatsAvailable = :none",
                    "ExpressionAttributeValues": {":none": {"N": "0"}},
                },
                "End": True,
            }
        },
    }
    impostor = sfn.create_state_machine(
        name=f"impostor-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=arn_of(cloud, "BookingStateMachineRole"),
    )["stateMachineArn"]

    execution = sfn.start_execution(stateMachineArn=impostor, input="{}")["executionArn"]
    ended = finished_execution(cloud, execution)

    assert ended["status"] == "FAILED"
    seats = item(cloud, "FlightTable", {"id": flight.id})
    assert seats is not None
    assert seats["seatsAvailable"] == flight.seat_capacity
