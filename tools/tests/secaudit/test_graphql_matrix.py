"""The GraphQL authorization matrix's own rules, on a small schema of its own: how the API's modes, the
auth directives and the resolvers' ownership rules combine, and how a nested field gets what the best
path to its type gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.appsync.definition import AuthenticationType
from localcloud.appsync.schema import build_appsync_schema
from secaudit import graphql_matrix
from secaudit.graphql_matrix import GraphQLApi, MatrixError, Ownership

COGNITO = AuthenticationType.AMAZON_COGNITO_USER_POOLS
IAM = AuthenticationType.AWS_IAM
SCHEMA = """
type Query {
  catalog: [Item!]! @aws_cognito_user_pools @aws_iam
  mine: Note
  anyNote(owner: ID!): Note @aws_cognito_user_pools(cognito_groups: ["Admin"])
  machines: Gear @aws_cognito_user_pools
}
type Item @aws_cognito_user_pools @aws_iam { id: ID!, internal: String @aws_iam }
type Note { text: String }
type Gear @aws_iam { part: String }
"""
OWNERSHIP = {
    "Query.catalog": Ownership("Query.catalog", "anyone", "the catalog"),
    "Query.mine": Ownership("Query.mine", "owner", "the caller's own note"),
    "Query.anyNote": Ownership("Query.anyNote", "anyone", "any customer's note, for staff"),
    "Query.machines": Ownership("Query.machines", "anyone", "no customer's"),
}


def api(*additional: AuthenticationType) -> GraphQLApi:
    return GraphQLApi(
        build_appsync_schema(SCHEMA), COGNITO, frozenset(additional or {IAM}), frozenset(OWNERSHIP)
    )


def rows(decided_api: GraphQLApi, ownership: dict[str, Ownership] = OWNERSHIP) -> dict[str, tuple[str, ...]]:
    return graphql_matrix.rows(graphql_matrix.decide(decided_api, ownership))


def test_the_callers_and_their_columns() -> None:
    assert [caller.name for caller in graphql_matrix.CALLERS] == [
        "customer",
        "another customer",
        "Admin",
        "IAM principal",
        "anonymous",
        "API key",
    ]


def test_a_request_no_mode_of_the_api_authenticates_is_denied_as_a_whole() -> None:
    decided = rows(api())

    assert {cells[4] for cells in decided.values()} == {"denied (request)"}
    assert {cells[5] for cells in decided.values()} == {"denied (request)"}


def test_directives_and_ownership_decide_the_top_level_fields() -> None:
    decided = rows(api())

    assert decided["Query.catalog"][:4] == ("allowed",) * 4
    assert decided["Query.mine"][:4] == ("allowed", "owner-only", "owner-only", "denied (schema)")
    assert decided["Query.anyNote"][:4] == (
        "denied (schema)",
        "denied (schema)",
        "allowed",
        "denied (schema)",
    )


def test_a_nested_field_gets_what_the_best_path_to_its_type_gets() -> None:
    decided = rows(api())

    # Note is reached through mine (the caller's own) and, for Admin, through anyNote (anyone's).
    assert decided["Note.text"][:4] == ("allowed", "owner-only", "allowed", "denied (schema)")
    # A field's own directive overrides its type's: internal admits IAM only.
    assert decided["Item.internal"][:4] == ("denied (schema)",) * 3 + ("allowed",)


def test_a_type_no_admitted_field_returns_is_out_of_reach() -> None:
    decided = rows(api())

    # Gear admits IAM, but machines, the only field returning it, does not.
    assert decided["Gear.part"][3] == "denied (no path)"
    assert decided["Gear.part"][0] == "denied (schema)"


def test_a_top_level_field_without_a_resolver_answers_nothing() -> None:
    unwired = SCHEMA.replace("type Query {", "type Query {\n  unwired: Note")

    decided = rows(GraphQLApi(build_appsync_schema(unwired), COGNITO, frozenset({IAM}), frozenset(OWNERSHIP)))

    assert decided["Query.unwired"][:3] == ("denied (no resolver)",) * 3
    # ...and opens no path to Note: another customer still reaches only their own note.
    assert decided["Note.text"][1] == "owner-only"


def test_an_owner_rule_refuses_callers_without_a_user_pool_identity() -> None:
    opened = SCHEMA.replace("mine: Note", "mine: Note @aws_cognito_user_pools @aws_iam").replace(
        "type Note {", "type Note @aws_cognito_user_pools @aws_iam {"
    )
    decided = rows(GraphQLApi(build_appsync_schema(opened), COGNITO, frozenset({IAM}), frozenset(OWNERSHIP)))

    assert decided["Query.mine"][3] == "denied (resolver)"


def test_a_mode_added_to_the_api_opens_what_names_it_only() -> None:
    decided = rows(api(IAM, AuthenticationType.API_KEY))

    assert {cells[5] for cells in decided.values()} == {"denied (schema)"}


def test_a_resolver_without_an_ownership_rule_says_where_to_add_one() -> None:
    partial = {name: rule for name, rule in OWNERSHIP.items() if name != "Query.mine"}

    with pytest.raises(
        MatrixError, match=r"^Query\.mine: a resolver without an ownership rule\. .*graphql_ownership"
    ):
        graphql_matrix.decide(api(), partial)


def test_an_ownership_rule_for_a_field_without_a_resolver_is_refused() -> None:
    extra = {**OWNERSHIP, "Query.gone": Ownership("Query.gone", "anyone", "gone")}

    with pytest.raises(MatrixError, match=r"^Query\.gone: no resolver in template\.yaml; remove the entry"):
        graphql_matrix.decide(api(), extra)


@pytest.mark.parametrize(
    "entry",
    [
        "{reach: everyone, why: x}",
        "{reach: owner}",
        "{reach: anyone, unless_group: Admin, why: x}",
    ],
)
def test_an_ownership_rule_must_say_a_reach_and_why(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "ownership.yaml"
    path.write_text(f"fields:\n  Query.mine: {entry}\n", encoding="utf-8")

    with pytest.raises(MatrixError, match=r"Query\.mine"):
        graphql_matrix.load_ownership(path)


def test_the_projects_ownership_rules_load() -> None:
    rules = graphql_matrix.load_ownership()

    assert rules
    assert all(rule.why for rule in rules.values())
