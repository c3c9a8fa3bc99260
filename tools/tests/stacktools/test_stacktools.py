from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacktools import translate as translate_module
from stacktools.catalog import route_key, sample_flights
from stacktools.intrinsics import Resolver, UnresolvableError
from stacktools.project import REGION
from stacktools.template import function_specs, load_template, project_template
from stacktools.translate import translate


def resolver() -> Resolver:
    return Resolver(
        account_id="123456789012",
        region="eu-west-1",
        stack_name="airline",
        refs={"Stage": "dev", "LoyaltyApi": "abc123"},
        attributes={("LoyaltyDataSourceRole", "Arn"): "arn:aws:iam::123456789012:role/ds"},
        conditions={"On": True},
    )


def test_sub_with_pseudo_parameters_refs_and_attributes() -> None:
    value = {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${LoyaltyApi}/${Stage}"
    }

    assert resolver().resolve(value) == "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev"


def test_sub_with_local_variables_and_escapes() -> None:
    value = {"Fn::Sub": ["${Name}-${!Literal}-${LoyaltyDataSourceRole.Arn}", {"Name": {"Ref": "Stage"}}]}

    assert resolver().resolve(value) == "dev-${Literal}-arn:aws:iam::123456789012:role/ds"


def test_join_if_and_no_value() -> None:
    value = {
        "A": {"Fn::Join": ["/", [{"Ref": "Stage"}, "x"]]},
        "B": {"Fn::If": ["On", "yes", "no"]},
        "C": {"Ref": "AWS::NoValue"},
    }

    assert resolver().resolve(value) == {"A": "dev/x", "B": "yes"}


def test_an_unknown_reference_is_an_error_not_a_blank() -> None:
    with pytest.raises(UnresolvableError, match="Ref Missing"):
        resolver().resolve({"Ref": "Missing"})


def test_function_specs_apply_globals() -> None:
    spec = function_specs(project_template())["GetLoyaltyFunction"]

    assert spec.timeout == 6  # its own value wins over Globals
    assert spec.memory_size == 128  # its own, measured size
    assert spec.environment["POWERTOOLS_SERVICE_NAME"] == "loyalty"
    assert spec.environment["POWERTOOLS_METRICS_NAMESPACE"] == "ServerlessAirline"
    assert (spec.module, spec.function_name) == ("loyalty.handlers.get_loyalty", "handler")


def test_sample_flights_depart_relative_to_the_seeding_day() -> None:
    flights = sample_flights(date(2030, 1, 1))

    sa101 = next(flight for flight in flights if flight.flight_number == "SA101")
    assert sa101.id == "SA101-2030-01-08"
    assert sa101.departure_date == "2030-01-08"
    assert sa101.departure_date_time == "2030-01-08T08:05:00+00:00"
    assert sa101.to_item()["route"] == {"S": route_key("LGW", "MAD")} == {"S": "LGW#MAD"}
    assert sa101.to_item()["seatsAvailable"] == sa101.to_item()["seatCapacity"]
    assert len({flight.id for flight in flights}) == len(flights)


def test_a_translation_is_made_once_per_input_and_each_caller_gets_its_own_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []

    def counting_transform(prepared: dict[str, Any], parameters: dict[str, str], region: str) -> Any:
        made.append(region)
        return real_transform(prepared, parameters, region)

    real_transform = translate_module._transform
    monkeypatch.setattr(translate_module, "_TRANSLATIONS", {})
    monkeypatch.setattr(translate_module, "_transform", counting_transform)

    first = translate()
    first["Resources"].clear()  # a caller changing its copy changes nobody else's
    second = translate()
    assert second["Resources"]
    assert made == [REGION]

    changed = copy.deepcopy(project_template())
    changed["Resources"]["BookingTable"]["Properties"]["TableName"] = "another"
    assert translate(changed)["Resources"]["BookingTable"]["Properties"]["TableName"] == "another"
    translate(region="us-east-1")
    assert made == [REGION, REGION, "us-east-1"]


def test_a_template_is_parsed_once_per_text_and_each_caller_gets_its_own_copy(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: !Ref N}\n")
    first, second = load_template(path), load_template(path)
    assert (
        first
        == second
        == {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "N"}}}}}
    )
    first["Resources"]["Queue"]["Properties"]["QueueName"] = "changed"
    assert load_template(path)["Resources"]["Queue"]["Properties"]["QueueName"] == {"Ref": "N"}

    # A new text of the same length, written at once: what is read is what the file holds now.
    path.write_text(path.read_text().replace("Queue:", "Qeueu:"))
    assert list(load_template(path)["Resources"]) == ["Qeueu"]


def test_a_template_that_is_not_yaml_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("Resources: [unclosed\n")
    with pytest.raises(yaml.YAMLError) as error:
        load_template(path)
    assert str(path) in "".join(error.value.__notes__)
