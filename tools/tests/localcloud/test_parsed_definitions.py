"""A state machine definition is parsed once per process; every execution still gets new components."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.stepfunctions.parser.api import InvalidDefinition
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from localcloud import moto_seams
from localcloud.service_integrations import ParsedDefinitions

DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture
def parsed_definitions() -> Iterator[ParsedDefinitions]:
    definitions = ParsedDefinitions()
    definitions.install()
    try:
        yield definitions
    finally:
        definitions.uninstall()


def parse(definition: str) -> tuple[Any, Any]:
    return AmazonStateLanguageParser.parse(definition)


def test_a_definition_is_parsed_once_and_each_call_gets_new_components(
    parsed_definitions: ParsedDefinitions,
) -> None:
    programs, trees = zip(*(parse(DEFINITION) for _ in range(3)), strict=True)
    assert trees[1] is trees[0]
    assert trees[2] is trees[0]
    assert len({id(program) for program in programs}) == 3
    assert {type(program) for program in programs} == {type(programs[0])}


def test_another_definition_gets_its_own_tree(parsed_definitions: ParsedDefinitions) -> None:
    other = json.dumps({"StartAt": "Other", "States": {"Other": {"Type": "Pass", "End": True}}})
    _, tree = parse(DEFINITION)
    program, other_tree = parse(other)
    assert other_tree is not tree
    assert program.start_at.start_at_name == "Other"


def test_a_definition_with_syntax_errors_is_refused_every_time(parsed_definitions: ParsedDefinitions) -> None:
    for _ in range(2):
        with pytest.raises(ASLParserException):
            parse('{"StartAt": ')


def test_uninstalling_gives_moto_its_parser_back() -> None:
    definitions = ParsedDefinitions()
    definitions.install()
    definitions.uninstall()
    _, first_tree = parse(DEFINITION)
    _, second_tree = parse(DEFINITION)
    assert second_tree is not first_tree


def validate(definition: str) -> None:
    StepFunctionsParserBackend._validate_definition(definition=definition)


def test_a_kept_definition_is_not_built_again_to_validate_it(
    parsed_definitions: ParsedDefinitions, monkeypatch: pytest.MonkeyPatch
) -> None:
    parse(DEFINITION)
    built: list[Any] = []
    evaluation_program = moto_seams.evaluation_program

    def counted(tree: Any) -> Any:
        built.append(tree)
        return evaluation_program(tree)

    monkeypatch.setattr(moto_seams, "evaluation_program", counted)

    validate(DEFINITION)
    validate(DEFINITION)

    assert built == []
    parse(DEFINITION)  # an execution's start still gets new components
    assert len(built) == 1


def test_a_definition_not_kept_is_validated_and_refused_as_moto_refuses_it(
    parsed_definitions: ParsedDefinitions,
) -> None:
    no_such_type = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Teleport", "End": True}}})
    for refused in ('{"StartAt": ', no_such_type):
        for _ in range(2):
            with pytest.raises(InvalidDefinition):
                validate(refused)
    other = json.dumps({"StartAt": "Other", "States": {"Other": {"Type": "Pass", "End": True}}})
    validate(other)  # parsed now, and kept: a valid text is valid whenever it is validated
    _, tree = parse(other)
    assert parse(other)[1] is tree


def test_uninstalling_gives_moto_its_validation_back(monkeypatch: pytest.MonkeyPatch) -> None:
    definitions = ParsedDefinitions()
    definitions.install()
    parse(DEFINITION)
    definitions.uninstall()
    parsed: list[str] = []
    original = AmazonStateLanguageParser.parse

    def counted(text: str) -> Any:
        parsed.append(text)
        return original(text)

    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(counted))

    validate(DEFINITION)

    assert parsed == [DEFINITION]
