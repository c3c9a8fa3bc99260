"""The template and the graphql/ directory agree: every code file it names exists, and no file is unused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.local_cloud import build_appsync_schema
from tests.support.template import REPOSITORY_ROOT, load_template, resources_of_type
from tests.unit.graphql.contexts import GRAPHQL, SCHEMA

APPSYNC_JS = {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _with_code(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        **resources_of_type(template, "AWS::AppSync::Resolver"),
        **resources_of_type(template, "AWS::AppSync::FunctionConfiguration"),
    }


def test_every_code_file_the_template_names_exists(template: dict[str, Any]) -> None:
    for logical_id, resource in _with_code(template).items():
        path = REPOSITORY_ROOT / resource["Properties"]["CodeS3Location"]
        assert path.is_file(), f"{logical_id} names {path}, which does not exist"


def test_every_code_file_is_used_by_the_template(template: dict[str, Any]) -> None:
    named = {
        (REPOSITORY_ROOT / resource["Properties"]["CodeS3Location"]).resolve()
        for resource in _with_code(template).values()
    }
    on_disk = {path.resolve() for path in GRAPHQL.rglob("*.js")}
    assert on_disk - named == set(), "code files that no resolver or function uses"


def test_the_schema_file_is_the_one_deployed(template: dict[str, Any]) -> None:
    schemas = resources_of_type(template, "AWS::AppSync::GraphQLSchema")
    assert [resource["Properties"]["DefinitionS3Location"] for resource in schemas.values()] == [
        "graphql/schema.graphql"
    ]
    assert (REPOSITORY_ROOT / "graphql/schema.graphql").resolve() == SCHEMA.resolve()


def test_all_code_runs_on_the_javascript_runtime(template: dict[str, Any]) -> None:
    for logical_id, resource in _with_code(template).items():
        assert resource["Properties"]["Runtime"] == APPSYNC_JS, logical_id


def test_each_query_and_mutation_field_has_one_resolver(template: dict[str, Any]) -> None:
    schema = build_appsync_schema(SCHEMA.read_text(encoding="utf-8"))
    resolved = [
        (resource["Properties"]["TypeName"], resource["Properties"]["FieldName"])
        for resource in resources_of_type(template, "AWS::AppSync::Resolver").values()
    ]
    fields = [
        (root.name, field)
        for root in (schema.query_type, schema.mutation_type)
        if root
        for field in root.fields
    ]
    unresolved, unknown = sorted(set(fields) - set(resolved)), sorted(set(resolved) - set(fields))
    assert sorted(resolved) == sorted(fields), (
        "every field of Query and Mutation needs exactly one AWS::AppSync::Resolver in template.yaml: "
        f"without one {unresolved}; for no field of the schema {unknown}"
    )


# Each resolver and pipeline step, its code and the data source (and so the role) it runs with.
WIRING = [
    ("SearchFlightsResolver", "graphql/resolvers/Query.searchFlights.js", "FlightDataSource"),
    ("GetFlightResolver", "graphql/resolvers/Query.getFlight.js", "FlightDataSource"),
    ("GetBookingResolver", "graphql/resolvers/Query.getBooking.js", "BookingDataSource"),
    ("ListBookingsResolver", "graphql/resolvers/Query.listBookings.js", "BookingDataSource"),
    ("GetLoyaltyResolver", "graphql/resolvers/Query.getLoyalty.js", "LoyaltyDataSource"),
    ("LookUpFlightPipelineStep", "graphql/functions/lookUpFlight.js", "FlightDataSource"),
    (
        "FindBookingRequestPipelineStep",
        "graphql/functions/findBookingRequest.js",
        "PaymentRegistrationDataSource",
    ),
    (
        "CountBookingsInFlightPipelineStep",
        "graphql/functions/countBookingsInFlight.js",
        "BookingDataSource",
    ),
    (
        "RegisterPaymentMethodPipelineStep",
        "graphql/functions/registerPaymentMethod.js",
        "PaymentRegistrationDataSource",
    ),
    ("StartBookingPipelineStep", "graphql/functions/startBooking.js", "BookingWorkflowDataSource"),
]


def test_every_resolver_and_pipeline_step_is_wired_here(template: dict[str, Any]) -> None:
    in_template = {
        logical_id
        for logical_id, resource in _with_code(template).items()
        if "DataSourceName" in resource["Properties"]
    }

    assert in_template == {logical_id for logical_id, _, _ in WIRING}, (
        "a resolver or pipeline step of template.yaml is missing from WIRING in "
        "tests/unit/graphql/test_template_wiring.py (or listed there but gone): add (logical id, its code "
        "file, its data source)"
    )


@pytest.mark.parametrize(("logical_id", "code", "data_source"), WIRING)
def test_each_file_runs_against_the_data_source_it_is_written_for(
    template: dict[str, Any], logical_id: str, code: str, data_source: str
) -> None:
    properties = template["Resources"][logical_id]["Properties"]
    assert properties["CodeS3Location"] == code
    assert properties["DataSourceName"] == {"Fn::GetAtt": [data_source, "Name"]}


def test_process_booking_checks_the_flight_and_the_customer_before_starting_the_saga(
    template: dict[str, Any],
) -> None:
    properties = template["Resources"]["ProcessBookingResolver"]["Properties"]
    assert properties["Kind"] == "PIPELINE"
    assert properties["CodeS3Location"] == "graphql/resolvers/pipeline.js"
    assert properties["PipelineConfig"]["Functions"] == [
        {"Fn::GetAtt": ["LookUpFlightPipelineStep", "FunctionId"]},
        {"Fn::GetAtt": ["FindBookingRequestPipelineStep", "FunctionId"]},
        {"Fn::GetAtt": ["CountBookingsInFlightPipelineStep", "FunctionId"]},
        {"Fn::GetAtt": ["RegisterPaymentMethodPipelineStep", "FunctionId"]},
        {"Fn::GetAtt": ["StartBookingPipelineStep", "FunctionId"]},
    ]


def test_the_environment_variables_the_resolvers_read_are_set(template: dict[str, Any]) -> None:
    variables = template["Resources"]["GraphQLApi"]["Properties"]["EnvironmentVariables"]
    read = set()
    for path in GRAPHQL.rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        read |= {name for name in variables if f"ctx.env.{name}" in text}
        assert text.count("ctx.env.") == sum(text.count(f"ctx.env.{name}") for name in variables), path
    assert read == set(variables)
