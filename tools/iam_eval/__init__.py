"""An evaluator for AWS IAM policies, following the IAM User Guide's evaluation logic.

Usage::

    from iam_eval import AccessRequest, Principal, evaluate

    caller = Principal.role_session("arn:aws:iam::123456789012:role/loyalty-fn", "loyalty-fn")
    decision = evaluate(
        AccessRequest(caller, "dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/Loyalty"),
        identity_policies=[role_policy],
    )
    if not decision.allowed:
        print(decision.outcome, *decision.reasons, sep="\\n")

What is modelled:

* Explicit Deny in any policy wins; otherwise, within one account, an Allow in the identity-based
  policies or in the resource-based policy grants access; across accounts both must allow.
  Services and anonymous callers are granted only by a resource-based policy; the root user needs
  no identity-based policy.
* Principal / NotPrincipal: "*" and {"AWS": "*"} are everyone (anonymous callers included, as the
  IAM User Guide says they are equivalent); an account id or root ARN names the account and
  delegates to its identity-based policies; a role ARN covers the role's sessions, a session ARN
  that session only; {"Service": ...} names that service principal. NotPrincipal exempts a caller
  only when its whole chain (account, user or role, role session) is listed.
* Action / NotAction (case-insensitive, `*` and `?`), Resource / NotResource (case-sensitive, `*`
  spans any characters including `/` and `:`), a resource-based statement without Resource
  applying to the resource at hand.
* Condition: String*, Numeric*, Date* (ISO 8601 or epoch seconds), Bool, BinaryEquals,
  IpAddress / NotIpAddress, Arn* (component by component), Null, `...IfExists`, `ForAllValues:`
  and `ForAnyValue:`; case-insensitive key names; the documented missing-key rules. An unknown
  operator makes its statement not apply and is reported in `Decision.warnings`.
* Policy variables in Resource and in string, ARN and Bool condition values (Version 2012-10-17
  only), with defaults (`${aws:username, 'anonymous'}`) and the `${*}`, `${?}`, `${$}` escapes.
  A variable without a value makes the one Resource / NotResource entry or condition value that
  contains it match nothing: the other entries and values still match, and the negated operators
  (`StringNotEquals`, `ArnNotLike` ...) are true against it, so a Deny guarded by them applies.
  A variable before the fifth colon of a Resource / NotResource ARN is not substituted: its entry
  matches nothing (a NotResource entry then excludes nothing). Both are reported in warnings.

What is not modelled, or is modelled by a documented choice:

* Service control policies, resource control policies, permissions boundaries and session
  policies (a single-account SAM application has none); hence also the same-account subtlety
  that a resource-based policy naming a role, rather than the role session, is still limited by
  them. Nor the IAM role trust policy and KMS key policy exception, where the resource-based
  policy itself must allow the caller.
* Federated (web identity, SAML) and STS federated-user principals, canonical user ids, and
  principals named by unique id; such entries in a Principal element never match.
* Which context keys a given service actually sends, and unique ids such as `aws:userid`, which
  the evaluator cannot know: callers supply them in the request context.
* Resource ARNs are matched as whole strings, so a `*` may also span the colons between ARN
  components; only the Arn* condition operators match component by component, as documented.
* A Resource / NotResource entry with a policy variable before the fifth colon, which the IAM
  User Guide says "You can't use", matches nothing rather than making the whole policy an error:
  the Guide does not say whether IAM refuses such a policy or ignores the entry, and the other
  statements and entries of a policy are still worth evaluating. Under NotResource the entry
  thus excludes nothing, and the `${*}`, `${?}`, `${$}` escapes follow the same rule.
* A variable without a value makes only the condition value that contains it fail; the other
  values for the same key are still ORed with it. The Guide says such a value is "effectively
  null" with "no equal or like value"; its one table with several values (`s3:prefix` against
  `home/` and `home/${aws:username}/`: "No match" without `aws:username`) does not say which
  prefix was requested. Its older wording that a missing value "causes the statement to be
  invalid" is not followed: the Guide's own Deny example ("Access is explicitly denied when
  aws:principaltag/Team is not set") needs the statement to apply.
"""

from iam_eval.evaluator import evaluate
from iam_eval.model import AccessRequest, ContextValue, Decision, Outcome, Principal, PrincipalKind
from iam_eval.policy import PolicyError

__all__ = [
    "AccessRequest",
    "ContextValue",
    "Decision",
    "Outcome",
    "PolicyError",
    "Principal",
    "PrincipalKind",
    "evaluate",
]
