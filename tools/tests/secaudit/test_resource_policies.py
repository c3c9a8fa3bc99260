"""docs/permissions.md's resource policies: every policy resource of both templates, statement by
statement, with the templates' logical ids in place of physical names."""

from __future__ import annotations

from secaudit.audit import project_resource_policies
from secaudit.policies import stack_policies
from secaudit.resource_policies import render


def test_both_templates_resource_policies_are_listed() -> None:
    policies = {policy.name: policy for policy in project_resource_policies(stack_policies())}

    assert {name: policy.template for name, policy in policies.items()} == {
        "LoyaltyApi": "template.yaml",
        "BookingTopicPolicy": "template.yaml",
        "LoyaltyQueuePolicy": "template.yaml",
        "GetLoyaltyFunctionGetLoyaltyPermissionStage": "template.yaml",
        "SiteBucketPolicy": "web/template.yaml",
        "LogBucketPolicy": "web/template.yaml",
    }
    [reads, tls] = policies["SiteBucketPolicy"].statements
    assert reads["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert reads["Condition"] == {
        "StringEquals": {
            "AWS:SourceArn": "arn:aws:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
        }
    }
    assert (tls["Effect"], tls["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert policies["SiteBucketPolicy"].guards == ("${SiteBucket}",)


def test_a_function_permission_reads_as_the_statement_lambda_adds() -> None:
    policies = {policy.name: policy for policy in project_resource_policies(stack_policies())}

    [statement] = policies["GetLoyaltyFunctionGetLoyaltyPermissionStage"].statements

    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert "ArnLike" in statement["Condition"]


def test_a_sid_keeps_its_own_name() -> None:
    [policy] = [p for p in project_resource_policies(stack_policies()) if p.name == "LoyaltyApi"]
    lines = render([policy])

    assert any(line.startswith("| AllowAppSyncLoyaltyDataSource | Allow |") for line in lines)
    assert any("| DenyEveryoneElse | Deny | `*` |" in line for line in lines)
