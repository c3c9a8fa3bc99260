"""CloudWatch alarms on the local cloud: evaluated, so that an operator sees what AWS would show them.

moto (5.2.5) records alarms but never evaluates them. :class:`AlarmEvaluator` does, from what the local
cloud can observe honestly, each time :meth:`AlarmEvaluator.evaluate_now` runs (every few seconds in a
background thread when the cloud is given an interval; tests call it themselves):

* ``AWS/SQS ApproximateNumberOfMessagesVisible``: the queue's ``ApproximateNumberOfMessages``,
  read through the SQS API;
* ``AWS/States ExecutionsStarted / ExecutionsFailed / ExecutionsTimedOut``: the executions
  ``ListExecutions`` shows for the first time since the previous evaluation (in each status);
* ``AWS/Lambda Invocations / Errors``: what the local Lambda runtime counted since the previous one;
* metric math: expressions of ``IF``, arithmetic and comparisons over those metrics.

One evaluation is one of the alarm's periods: locally a period lasts from one evaluation to the next,
whatever ``Period`` says. A metric with nothing to report in a period (no invocation, no execution) has
no datapoint, as in CloudWatch; a queue always has one. The alarm's state then follows CloudWatch's
rules (comparison operator, threshold, ``EvaluationPeriods``, ``DatapointsToAlarm``,
``TreatMissingData``); on a change of state it is set through the CloudWatch API and the alarm's actions
for the new state are performed: an SNS topic receives the notice CloudWatch sends, published as
``cloudwatch.amazonaws.com`` for the alarm (``aws:SourceArn``, ``aws:SourceAccount``) and only if the
topic's policy allows that, as ``iam_eval`` decides it.
"""

from __future__ import annotations

import ast
import json
import logging
import operator
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError
from moto.sns.models import sns_backends

from iam_eval import AccessRequest, Principal, evaluate

_LOGGER = logging.getLogger("localcloud.alarms")

Datapoint = float | None
"""One period's value of a metric; None when the metric reported nothing in that period."""

_REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}


class AlarmState(StrEnum):
    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class UnsupportedAlarmError(ValueError):
    """An alarm the local cloud cannot evaluate (it stays in INSUFFICIENT_DATA); the message says why."""


_COMPARISONS: Mapping[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


def breaches(value: float, comparison: str, threshold: float) -> bool:
    """Whether one datapoint breaches the threshold under the alarm's comparison operator."""
    compare = _COMPARISONS.get(comparison)
    if compare is None:
        raise UnsupportedAlarmError(f"comparison operator {comparison} is not evaluated locally")
    return compare(value, threshold)


def next_state(
    datapoints: Sequence[Datapoint],
    *,
    comparison: str,
    threshold: float,
    datapoints_to_alarm: int,
    treat_missing_data: str,
    current: AlarmState,
) -> AlarmState:
    """The alarm's state from its evaluation range (oldest first, one datapoint per period).

    As CloudWatch evaluates an "M out of N" alarm: ALARM when at least M datapoints of the range breach.
    When every datapoint is missing, ``TreatMissingData`` decides alone: ``breaching`` -> ALARM,
    ``notBreaching`` -> OK, ``ignore`` -> the state stays, ``missing`` (the default) -> INSUFFICIENT_DATA.
    When only some are missing, ``breaching`` and ``notBreaching`` count them as breaching or not, and
    ``ignore`` and ``missing`` evaluate the datapoints present."""
    present = [point for point in datapoints if point is not None]
    if not present:
        return {
            "breaching": AlarmState.ALARM,
            "notBreaching": AlarmState.OK,
            "ignore": current,
        }.get(treat_missing_data, AlarmState.INSUFFICIENT_DATA)
    breaching = sum(1 for point in present if breaches(point, comparison, threshold))
    if treat_missing_data == "breaching":
        breaching += len(datapoints) - len(present)
    return AlarmState.ALARM if breaching >= datapoints_to_alarm else AlarmState.OK


# ------------------------------------------------------------------ metric math

_ARITHMETIC: Mapping[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_RELATIONS: Mapping[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def evaluate_expression(expression: str, values: Mapping[str, Datapoint]) -> Datapoint:
    """A metric math expression for one period: numbers, metric ids, ``+ - * /``, comparisons and
    ``IF(condition, then, else)``. A missing metric, or a division by zero, makes the result missing."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise UnsupportedAlarmError(f"expression {expression!r} is not evaluated locally") from None
    try:
        return _value_of(tree.body, values, expression)
    except (_MissingError, ZeroDivisionError):
        return None


class _MissingError(Exception):
    pass


def _value_of(node: ast.expr, values: Mapping[str, Datapoint], expression: str) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise UnsupportedAlarmError(f"expression {expression!r} names {node.id}, which is not a metric")
        value = values[node.id]
        if value is None:
            raise _MissingError
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value_of(node.operand, values, expression)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left = _value_of(node.left, values, expression)
        return _ARITHMETIC[type(node.op)](left, _value_of(node.right, values, expression))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _RELATIONS:
        left = _value_of(node.left, values, expression)
        right = _value_of(node.comparators[0], values, expression)
        return 1.0 if _RELATIONS[type(node.ops[0])](left, right) else 0.0
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "IF"
        and len(node.args) == 3
        and not node.keywords
    ):
        condition, then, otherwise = node.args
        return _value_of(then if _value_of(condition, values, expression) else otherwise, values, expression)
    raise UnsupportedAlarmError(f"expression {expression!r} is not evaluated locally")


# ------------------------------------------------------------------ what the local cloud observes


MetricKey = tuple[str, str, tuple[tuple[str, str], ...]]
"""Namespace, metric name, dimensions (sorted name/value pairs)."""


def metric_key(metric: Mapping[str, Any]) -> MetricKey:
    dimensions = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
    return (metric["Namespace"], metric["MetricName"], dimensions)


@dataclass
class ObservedMetrics:
    """One period's datapoints of the metrics the local cloud can observe.

    ``client`` makes clients of the local AWS endpoint as its administrator; ``lambda_counts`` gives
    each function's invocations and errors so far (cumulative; this keeps the previous totals)."""

    client: Callable[[str], Any]
    lambda_counts: Callable[[], tuple[Mapping[str, int], Mapping[str, int]]]
    account_id: str
    _seen_executions: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _last_lambda: tuple[dict[str, int], dict[str, int]] = field(default_factory=lambda: ({}, {}))

    def sample(self, keys: Sequence[MetricKey]) -> dict[MetricKey, Datapoint]:
        """This period's datapoint of each metric it can observe (the others are left out); reading a
        metric ends its period."""
        invocations, errors = self.lambda_counts()
        period_invocations = {n: c - self._last_lambda[0].get(n, 0) for n, c in invocations.items()}
        period_errors = {n: c - self._last_lambda[1].get(n, 0) for n, c in errors.items()}
        self._last_lambda = (dict(invocations), dict(errors))
        new_executions: dict[str, dict[str, int]] = {}
        samples: dict[MetricKey, Datapoint] = {}
        for key in dict.fromkeys(keys):
            namespace, name, dimensions = key
            dimension = dict(dimensions)
            if namespace == "AWS/SQS" and name == "ApproximateNumberOfMessagesVisible":
                samples[key] = self._queue_depth(dimension["QueueName"])
            elif namespace == "AWS/Lambda" and name in ("Errors", "Invocations"):
                function = dimension["FunctionName"]
                ran = period_invocations.get(function, 0)
                counted = ran if name == "Invocations" else period_errors.get(function, 0)
                samples[key] = float(counted) if ran else None
            elif namespace == "AWS/States" and name in _EXECUTION_STATUS:
                machine = dimension["StateMachineArn"]
                if machine not in new_executions:
                    new_executions[machine] = self._new_executions(machine)
                counts = new_executions[machine]
                samples[key] = float(counts[_EXECUTION_STATUS[name]]) if any(counts.values()) else None
        return samples

    def _queue_depth(self, queue_name: str) -> Datapoint:
        sqs = self.client("sqs")
        # The queue's URL as the endpoint serves it (GetQueueUrl names no resource IAM could check).
        url = f"{sqs.meta.endpoint_url}/{self.account_id}/{queue_name}"
        # The metric's name in CloudWatch; the queue attribute behind it is ApproximateNumberOfMessages.
        try:
            attributes = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        except ClientError as error:
            if error.response["Error"]["Code"] in _NO_SUCH_QUEUE:
                return None  # a queue that does not exist reports nothing
            raise
        return float(attributes["ApproximateNumberOfMessages"])

    def _new_executions(self, state_machine_arn: str) -> dict[str, int]:
        """Executions seen for the first time, in each status ("" for every status: started)."""
        states = self.client("stepfunctions")
        counts: dict[str, int] = {}
        for status in ("", "FAILED", "TIMED_OUT"):
            filters = {"statusFilter": status} if status else {}
            arns = {
                execution["executionArn"]
                for page in states.get_paginator("list_executions").paginate(
                    stateMachineArn=state_machine_arn, **filters
                )
                for execution in page["executions"]
            }
            seen = self._seen_executions.setdefault((state_machine_arn, status), set())
            counts[status] = len(arns - seen)
            seen |= arns
        return counts


_NO_SUCH_QUEUE = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
_EXECUTION_STATUS = {"ExecutionsStarted": "", "ExecutionsFailed": "FAILED", "ExecutionsTimedOut": "TIMED_OUT"}


# ------------------------------------------------------------------ the evaluator


@dataclass(frozen=True)
class Transition:
    alarm_name: str
    old: AlarmState
    new: AlarmState
    reason: str


@dataclass(frozen=True)
class Notification:
    """One action's notice: to which topic, whether the topic's policy let CloudWatch publish it."""

    topic_arn: str
    alarm_name: str
    state: AlarmState
    delivered: bool


class AlarmEvaluator:
    def __init__(
        self,
        client: Callable[[str], Any],
        lambda_counts: Callable[[], tuple[Mapping[str, int], Mapping[str, int]]],
        *,
        account_id: str,
        region: str,
        interval_seconds: float | None = None,
    ) -> None:
        self._client = client
        self._account_id = account_id
        self._region = region
        self._interval = interval_seconds
        self._metrics = ObservedMetrics(client, lambda_counts, account_id)
        self._history: dict[str, deque[Datapoint]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.notifications: list[Notification] = []
        """Every alarm action performed, delivered or refused by the topic's policy."""

    def start(self) -> None:
        """Evaluate every ``interval_seconds`` in a background thread (none without an interval)."""
        if self._interval is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alarm-evaluator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        assert self._interval is not None
        while not self._stop.wait(self._interval):
            try:
                self.evaluate_now()
            except Exception:  # an evaluation that fails must not end the next ones
                _LOGGER.exception("the alarms could not be evaluated")

    def evaluate_now(self) -> list[Transition]:
        """One period ends: evaluate every alarm, change the state of those whose state changes and
        perform their actions. Returns the changes."""
        with self._lock:
            cloudwatch = self._client("cloudwatch")
            alarms = [
                alarm
                for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
                for alarm in page["MetricAlarms"]
            ]
            keys = [key for alarm in alarms for key in _metrics_of(alarm).values()]
            samples = self._metrics.sample(keys)
            transitions = []
            for alarm in alarms:
                transition = self._evaluate(alarm, samples)
                if transition is not None:
                    cloudwatch.set_alarm_state(
                        AlarmName=alarm["AlarmName"],
                        StateValue=transition.new.value,
                        StateReason=transition.reason,
                    )
                    self._act(alarm, transition)
                    transitions.append(transition)
            return transitions

    def _evaluate(
        self, alarm: Mapping[str, Any], samples: Mapping[MetricKey, Datapoint]
    ) -> Transition | None:
        name = alarm["AlarmName"]
        current = AlarmState(alarm["StateValue"])
        periods = int(alarm["EvaluationPeriods"])
        history = self._history.setdefault(name, deque(maxlen=periods))
        try:
            history.append(_datapoint_of(alarm, samples))
            # Periods before the cloud started are periods without data, as for a new alarm in AWS.
            missing: list[Datapoint] = [None] * (periods - len(history))
            datapoints = missing + list(history)
            new = next_state(
                datapoints,
                comparison=alarm["ComparisonOperator"],
                threshold=float(alarm["Threshold"]),
                datapoints_to_alarm=int(alarm.get("DatapointsToAlarm") or periods),
                treat_missing_data=alarm.get("TreatMissingData") or "missing",
                current=current,
            )
            reason = _reason(alarm, datapoints, new)
        except UnsupportedAlarmError as error:
            new, reason = AlarmState.INSUFFICIENT_DATA, f"Not evaluated by the local cloud: {error}"
        if new == current:
            return None
        return Transition(name, current, new, reason)

    def _act(self, alarm: Mapping[str, Any], transition: Transition) -> None:
        if not alarm.get("ActionsEnabled", True):
            return
        actions = {
            AlarmState.ALARM: "AlarmActions",
            AlarmState.OK: "OKActions",
            AlarmState.INSUFFICIENT_DATA: "InsufficientDataActions",
        }[transition.new]
        notice = notification_of(alarm, transition, account_id=self._account_id, region=self._region)
        subject = f'{transition.new.value}: "{transition.alarm_name}" in {_region_name(self._region)}'
        for target in alarm.get(actions, []):
            if ":sns:" not in target:
                _LOGGER.warning(
                    "alarm action %s of %s is not performed locally", target, transition.alarm_name
                )
                continue
            delivered = self._publish_as_cloudwatch(target, alarm["AlarmArn"], subject, notice)
            self.notifications.append(Notification(target, transition.alarm_name, transition.new, delivered))

    def _publish_as_cloudwatch(self, topic_arn: str, alarm_arn: str, subject: str, message: str) -> bool:
        """Publish as CloudWatch does for an alarm: the topic's policy decides, for the service principal
        ``cloudwatch.amazonaws.com`` acting for the alarm in its account."""
        attributes = self._client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else None
        decision = evaluate(
            AccessRequest(
                Principal.service("cloudwatch.amazonaws.com"),
                "sns:Publish",
                topic_arn,
                {"aws:SourceArn": alarm_arn, "aws:SourceAccount": alarm_arn.split(":")[4]},
            ),
            identity_policies=[],
            resource_policy=policy,
            resource_account=self._account_id,
        )
        if not decision.allowed:
            _LOGGER.error("the policy of %s refuses CloudWatch's notice for %s", topic_arn, alarm_arn)
            return False
        # The decision is made; the notice goes to the topic's subscriptions as SNS delivers it.
        sns_backends[self._account_id][topic_arn.split(":")[3]].publish(
            message, arn=topic_arn, subject=subject
        )
        return True


def _metrics_of(alarm: Mapping[str, Any]) -> dict[str, MetricKey]:
    """The alarm's metrics: {"": key} for a metric alarm, {id: key} for a metric math alarm."""
    if alarm.get("MetricName"):
        return {"": metric_key(alarm)}
    return {
        query["Id"]: metric_key(query["MetricStat"]["Metric"])
        for query in alarm.get("Metrics", [])
        if "MetricStat" in query
    }


def _datapoint_of(alarm: Mapping[str, Any], samples: Mapping[MetricKey, Datapoint]) -> Datapoint:
    metrics = _metrics_of(alarm)
    unobserved = sorted(f"{key[0]} {key[1]}" for key in metrics.values() if key not in samples)
    if unobserved:
        raise UnsupportedAlarmError(f"{', '.join(unobserved)} is not observed locally")
    if alarm.get("MetricName"):
        return samples[metrics[""]]
    values = {metric_id: samples[key] for metric_id, key in metrics.items()}
    returned = [query for query in alarm["Metrics"] if query.get("ReturnData", True)]
    if len(returned) != 1 or "Expression" not in returned[0]:
        raise UnsupportedAlarmError("only an alarm returning one expression of metrics is evaluated locally")
    return evaluate_expression(returned[0]["Expression"], values)


def _reason(alarm: Mapping[str, Any], datapoints: Sequence[Datapoint], state: AlarmState) -> str:
    present = [point for point in reversed(datapoints) if point is not None]
    relation = {
        "GreaterThanThreshold": "greater than",
        "GreaterThanOrEqualToThreshold": "greater than or equal to",
        "LessThanThreshold": "less than",
        "LessThanOrEqualToThreshold": "less than or equal to",
    }.get(alarm["ComparisonOperator"], alarm["ComparisonOperator"])
    if not present:
        treatment = alarm.get("TreatMissingData") or "missing"
        return f"Threshold Crossed: no datapoints were received for {len(datapoints)} periods ({treatment})."
    shown = ", ".join(f"{point:g}" for point in present)
    verb = "was" if state == AlarmState.ALARM else "was not"
    return (
        f"Threshold Crossed: {len(present)} datapoint{'s' if len(present) > 1 else ''} [{shown}] "
        f"{verb} {relation} the threshold ({float(alarm['Threshold']):g})."
    )


def notification_of(alarm: Mapping[str, Any], transition: Transition, *, account_id: str, region: str) -> str:
    """The JSON CloudWatch publishes to an alarm's SNS actions."""
    trigger: dict[str, Any] = {
        "Period": alarm.get("Period"),
        "EvaluationPeriods": alarm["EvaluationPeriods"],
        "DatapointsToAlarm": alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"],
        "ComparisonOperator": alarm["ComparisonOperator"],
        "Threshold": float(alarm["Threshold"]),
        "TreatMissingData": alarm.get("TreatMissingData") or "missing",
        "EvaluateLowSampleCountPercentile": "",
    }
    if alarm.get("MetricName"):
        trigger |= {
            "MetricName": alarm["MetricName"],
            "Namespace": alarm["Namespace"],
            "StatisticType": "Statistic",
            "Statistic": str(alarm.get("Statistic", "")).upper(),
            "Unit": alarm.get("Unit"),
            "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])],
        }
    else:
        trigger["Metrics"] = alarm["Metrics"]
    notice = {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": _timestamp(alarm.get("AlarmConfigurationUpdatedTimestamp")),
        "NewStateValue": transition.new.value,
        "NewStateReason": transition.reason,
        "StateChangeTime": _timestamp(datetime.now(UTC)),
        "Region": _region_name(region),
        "AlarmArn": alarm["AlarmArn"],
        "OldStateValue": transition.old.value,
        "OKActions": alarm.get("OKActions", []),
        "AlarmActions": alarm.get("AlarmActions", []),
        "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
        "Trigger": trigger,
    }
    return json.dumps(notice)


def _timestamp(moment: Any) -> str | None:
    if not isinstance(moment, datetime):
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def _region_name(region: str) -> str:
    return _REGION_NAMES.get(region, region)
