"""A state machine definition is parsed once per process; every execution still gets new components."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException

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
