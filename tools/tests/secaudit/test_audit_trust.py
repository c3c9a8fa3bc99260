"""docs/permissions.md says, for every role, who may assume it and on which conditions; a service role
that names no source says why."""

from __future__ import annotations

from secaudit.audit import RoleAudit, render_markdown


def rendered(trust_policy: dict[str, object]) -> str:
    return render_markdown([RoleAudit("SomeRole", ("Something",), trust_policy=trust_policy)], [])


def test_a_guarded_trust_shows_its_source_and_account() -> None:
    text = rendered(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "appsync.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "ArnEquals": {"aws:SourceArn": "arn:aws:appsync:eu-west-1:123456789012:apis/abc"},
                        "StringEquals": {"aws:SourceAccount": "123456789012"},
                    },
                }
            ]
        }
    )

    assert (
        'Assumed by: `{"Service": "appsync.amazonaws.com"}` when `{"ArnEquals": {"aws:SourceArn": '
        '"arn:aws:appsync:eu-west-1:123456789012:apis/abc"}, "StringEquals": {"aws:SourceAccount": '
        '"123456789012"}}`.'
    ) in text


def test_a_lambda_execution_role_says_why_it_names_no_source() -> None:
    text = rendered(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    )

    assert 'Assumed by: `{"Service": ["lambda.amazonaws.com"]}`, on no condition. Lambda assumes' in text
    assert "iam:PassRole" in text
