"""Work per request, observed on the local cloud: for one booking (confirmed, declined card, sold out)
and one loyalty read, the AWS calls each principal made, the DynamoDB request units they cost and the
state transitions of the saga; and GetLoyalty's reads as a customer's history grows, next to the
archived sample's design.

Sources, all from the running local cloud:

* AWS calls: the local endpoint's enforcement records (every authorised call: principal, action,
  resource). The benchmark's own observing calls (as the local administrator) are left out.
* DynamoDB request units: every DynamoDB request the endpoint answered, with its parameters and
  whether it succeeded (a tap on moto's DynamoDB request handler, in this process), priced by
  :mod:`benchmarks.capacity` from the sizes of the items it touched, read back afterwards. Neither the
  application nor moto reports consumed capacity (moto would answer with a constant), and the
  application is not changed for measurement.
* State transitions: the execution's history (one per state entered, one more per retry - what
  Step Functions Standard bills).
* Lambda invocations and their durations: the local cloud's REPORT figures.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from moto.dynamodb.responses import DynamoHandler

from benchmarks.archived_design import points_by_query, remove_history, seed_history
from benchmarks.capacity import Item, item_size, projected, read_units, write_units
from benchmarks.support import (
    ACCOUNT_ID,
    ADMIN_USER,
    BOOK_MUTATION,
    LOYALTY_QUERY,
    AccessRecord,
    Customer,
    DeployedStack,
    Flight,
    InvocationReport,
    LocalCloud,
    book_variables,
    graphql,
    sample_flights,
    seed,
)

GOOD_CARD = "tok_visa"
DECLINING_CARD = "tok_chargeDeclined"
"""Test tokens of the payment service's simulated processor (``src/payment/provider.py``)."""
SETTLE_DEADLINE_SECONDS = 120
POLL_INTERVAL_SECONDS = 0.1
EVENT_SOURCE_POLLING = frozenset({"sqs:ReceiveMessage", "sqs:GetQueueAttributes"})
"""What an event source mapping does on a schedule, whether or not messages arrive."""

_ACCESS_KEY = re.compile(r"Credential=([A-Z0-9]+)/")
_ADMIN_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/{ADMIN_USER}"


# ---------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CallCount:
    principal: str
    action: str
    resource: str
    count: int
    polling: bool
    """An event source mapping's scheduled poll: its number depends on time, not on the request."""


@dataclass(frozen=True)
class CapacityUse:
    principal: str
    operation: str
    table: str
    items: int
    read_units: float
    write_units: float
    """Including the writes of the table's global secondary indexes."""


@dataclass
class Work:
    """What one request cost."""

    name: str
    outcome: str
    calls: list[CallCount] = field(default_factory=list)
    capacity: list[CapacityUse] = field(default_factory=list)
    invocations: dict[str, list[float]] = field(default_factory=dict)
    """Function name -> the duration (ms) of each of its invocations."""
    state_transitions: int = 0
    states_entered: list[str] = field(default_factory=list)
    retries: int = 0
    execution_seconds: float | None = None
    graphql_requests: int = 0
    api_requests: int = 0
    dynamodb_requests: int = 0

    @property
    def read_units(self) -> float:
        return sum(use.read_units for use in self.capacity)

    @property
    def write_units(self) -> float:
        return sum(use.write_units for use in self.capacity)

    def count_of(self, action: str) -> int:
        return sum(call.count for call in self.calls if call.action == action and not call.polling)


@dataclass(frozen=True)
class HistoryRead:
    """One loyalty read of a customer with ``bookings`` prior bookings, by one design."""

    design: str
    bookings: int
    points: int
    calls: int
    items_read: int
    read_units: float


@dataclass
class WorkResults:
    bookings: list[Work]
    loyalty_read: Work
    history: list[HistoryRead]


# ---------------------------------------------------------------------------------------- observing


@dataclass(frozen=True)
class DynamoDbRequest:
    access_key_id: str
    operation: str
    params: dict[str, Any]
    """As sent: attribute values in DynamoDB's wire format."""
    succeeded: bool
    """False when DynamoDB refused it (a failed condition, a cancelled transaction...)."""


@dataclass
class Window:
    """Everything the local cloud saw between two moments, without the benchmark's own calls."""

    records: list[AccessRecord] = field(default_factory=list)
    dynamodb: list[DynamoDbRequest] = field(default_factory=list)
    reports: dict[str, list[InvocationReport]] = field(default_factory=dict)
    api_requests: int = 0
    graphql_requests: int = 0


@contextmanager
def dynamodb_requests() -> Iterator[list[DynamoDbRequest]]:
    """Every DynamoDB request the local endpoint answers meanwhile: moto's handler (5.2.5,
    ``DynamoHandler.call_action``) is wrapped to note each request, who signed it and its status."""
    seen: list[DynamoDbRequest] = []
    original = DynamoHandler.call_action

    def call_action(handler: Any) -> Any:
        status, headers, body = original(handler)
        if status != 403:  # refused by IAM: it never reached DynamoDB
            key = _ACCESS_KEY.search(str(handler.headers.get("Authorization", "")))
            seen.append(
                DynamoDbRequest(
                    access_key_id=key.group(1) if key else "",
                    operation=handler._get_action(),
                    params=dict(getattr(handler, "body", {}) or {}),
                    succeeded=status < 300,
                )
            )
        return status, headers, body

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        DynamoHandler.call_action = original  # type: ignore[method-assign]


class Observer:
    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._admin_key = cloud.admin_credentials.access_key_id

    @contextmanager
    def window(self) -> Iterator[Window]:
        cloud = self.cloud
        window = Window()
        first_record = len(cloud.enforcement.records)
        first_api_line = len(cloud.api_access_log)
        seen_reports = {
            report.request_id for log in list(cloud.lambdas.logs.values()) for report in list(log.reports)
        }
        with dynamodb_requests() as requests:
            yield window
        window.records = [
            record
            for record in cloud.enforcement.records[first_record:]
            if record.principal_arn != _ADMIN_ARN
        ]
        window.dynamodb = [request for request in requests if request.access_key_id != self._admin_key]
        window.api_requests = len(cloud.api_access_log) - first_api_line
        for name, log in list(cloud.lambdas.logs.items()):
            fresh = [report for report in list(log.reports) if report.request_id not in seen_reports]
            if fresh:
                window.reports[name] = fresh


# ---------------------------------------------------------------------------------------- capacity


@dataclass(frozen=True)
class TableShape:
    key: tuple[str, ...]
    indexes: tuple[tuple[tuple[str, ...], dict[str, Any]], ...]
    """(key attributes, projection) of each global secondary index."""


class CapacityCalculator:
    """Request units of DynamoDB requests, from the items they touched (read back as administrator).

    A write is priced at the larger of the item before and after it; the item is read back after the
    request, and the items here only grow, so that is the larger. A refused write (a failed condition)
    still costs its write units but writes no index."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._shapes: dict[str, TableShape] = {}

    def shape(self, table: str) -> TableShape:
        if table not in self._shapes:
            description = self._client.describe_table(TableName=table)["Table"]
            self._shapes[table] = TableShape(
                key=tuple(part["AttributeName"] for part in description["KeySchema"]),
                indexes=tuple(
                    (tuple(part["AttributeName"] for part in index["KeySchema"]), index["Projection"])
                    for index in description.get("GlobalSecondaryIndexes", [])
                ),
            )
        return self._shapes[table]

    def stored(self, table: str, key: Item) -> Item | None:
        item: Item | None = self._client.get_item(TableName=table, Key=dict(key), ConsistentRead=True).get(
            "Item"
        )
        return item

    def key_of(self, table: str, item: Item) -> dict[str, Any]:
        return {name: item[name] for name in self.shape(table).key}

    def use(self, principal: str, request: DynamoDbRequest) -> list[CapacityUse]:
        handlers: dict[str, Callable[[DynamoDbRequest], list[CapacityUse]]] = {
            "GetItem": self._get,
            "PutItem": self._put,
            "UpdateItem": self._update,
            "DeleteItem": self._update,
            "TransactWriteItems": self._transact_write,
            "TransactGetItems": self._transact_get,
            "BatchGetItem": self._batch_get,
            "BatchWriteItem": self._batch_write,
            "Query": self._query,
            "Scan": self._query,
        }
        handler = handlers.get(request.operation)
        if handler is None:
            return []  # control-plane and describe calls cost no request units
        return [replace(use, principal=principal) for use in handler(request)]

    def _index_units(self, table: str, item: Item | None) -> float:
        if item is None:
            return 0.0
        shape = self.shape(table)
        units = 0.0
        for keys, projection in shape.indexes:
            stored = projected(item, (*shape.key, *keys), projection)
            if stored is not None:
                units += write_units(item_size(stored))
        return units

    def _written(
        self,
        request: DynamoDbRequest,
        table: str,
        key: Item,
        *,
        new: Item | None,
        factor: float,
        operation: str = "",
    ) -> CapacityUse:
        stored = self.stored(table, key)
        size = max(item_size(stored or {}), item_size(new or {}))
        units = factor * write_units(size)
        if request.succeeded:
            units += self._index_units(table, stored if stored is not None else new)
        return CapacityUse("", operation or request.operation, table, 1, 0.0, units)

    def _read(
        self, operation: str, table: str, key: Item, *, consistent: bool, transactional: bool
    ) -> CapacityUse:
        item = self.stored(table, key)
        units = read_units(item_size(item or {}), consistent=consistent, transactional=transactional)
        return CapacityUse("", operation, table, 1 if item else 0, units, 0.0)

    def _get(self, request: DynamoDbRequest) -> list[CapacityUse]:
        body = request.params
        consistent = bool(body.get("ConsistentRead"))
        return [
            self._read(
                request.operation, body["TableName"], body["Key"], consistent=consistent, transactional=False
            )
        ]

    def _put(self, request: DynamoDbRequest) -> list[CapacityUse]:
        table, item = request.params["TableName"], request.params["Item"]
        return [self._written(request, table, self.key_of(table, item), new=item, factor=1.0)]

    def _update(self, request: DynamoDbRequest) -> list[CapacityUse]:
        body = request.params
        return [self._written(request, body["TableName"], body["Key"], new=None, factor=1.0)]

    def _transact_write(self, request: DynamoDbRequest) -> list[CapacityUse]:
        uses = []
        for entry in request.params["TransactItems"]:
            [(kind, part)] = entry.items()
            table = part["TableName"]
            key = self.key_of(table, part["Item"]) if kind == "Put" else part["Key"]
            operation = f"{request.operation}.{kind}"
            uses.append(
                self._written(request, table, key, new=part.get("Item"), factor=2.0, operation=operation)
            )
        return uses

    def _transact_get(self, request: DynamoDbRequest) -> list[CapacityUse]:
        return [
            self._read(
                request.operation,
                entry["Get"]["TableName"],
                entry["Get"]["Key"],
                consistent=True,
                transactional=True,
            )
            for entry in request.params["TransactItems"]
        ]

    def _batch_get(self, request: DynamoDbRequest) -> list[CapacityUse]:
        return [
            self._read(
                request.operation,
                table,
                key,
                consistent=bool(part.get("ConsistentRead")),
                transactional=False,
            )
            for table, part in request.params["RequestItems"].items()
            for key in part["Keys"]
        ]

    def _batch_write(self, request: DynamoDbRequest) -> list[CapacityUse]:
        uses = []
        for table, parts in request.params["RequestItems"].items():
            for part in parts:
                if "PutRequest" in part:
                    item = part["PutRequest"]["Item"]
                    uses.append(self._written(request, table, self.key_of(table, item), new=item, factor=1.0))
                else:
                    key = part["DeleteRequest"]["Key"]
                    uses.append(self._written(request, table, key, new=None, factor=1.0))
        return uses

    def _query(self, request: DynamoDbRequest) -> list[CapacityUse]:
        """Run again (one page, as the original request): the items it read, at their full size."""
        body = request.params
        table = body["TableName"]
        method = self._client.query if request.operation == "Query" else self._client.scan
        page = method(**body)
        items = [self.stored(table, self.key_of(table, item)) or item for item in page.get("Items", [])]
        units = read_units(
            sum(item_size(item) for item in items), consistent=bool(body.get("ConsistentRead"))
        )
        return [CapacityUse("", request.operation, table, len(items), units, 0.0)]


# ---------------------------------------------------------------------------------------- transitions


def state_transitions(history: Iterable[Mapping[str, Any]]) -> tuple[int, list[str], int]:
    """(transitions, states entered in order, retries) of one execution's history: Step Functions
    Standard counts a transition for each state entered and one more for each retry."""
    entered: list[str] = []
    attempts: Counter[int] = Counter()
    for event in history:
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            entered.append(event["stateEnteredEventDetails"]["name"])
        elif kind in {"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"}:
            attempts[len(entered)] += 1
    retries = sum(count - 1 for count in attempts.values() if count > 1)
    return len(entered) + retries, entered, retries


# ---------------------------------------------------------------------------------------- scenarios


class WorkBench:
    """The local cloud, observed, with what the scenarios need: flights, customers, the saga."""

    def __init__(self, cloud: LocalCloud, observer: Observer) -> None:
        assert cloud.stack is not None
        self.cloud = cloud
        self.observer = observer
        self.stack = cloud.stack
        self.dynamodb = cloud.client("dynamodb")
        self.capacity = CapacityCalculator(self.dynamodb)
        self._prefix = f"{self.stack.name}-"
        self._polling = self._event_source_pollers()

    @property
    def graphql_url(self) -> str:
        if not self.cloud.endpoints.graphql:
            raise RuntimeError("the local cloud has no GraphQL API")
        return self.cloud.endpoints.graphql

    def _event_source_pollers(self) -> set[tuple[str, str]]:
        """(role ARN, queue ARN) of each event source mapping: whose polls are scheduled, not caused."""
        lambda_client = self.cloud.client("lambda")
        pollers = set()
        for mapping in lambda_client.list_event_source_mappings()["EventSourceMappings"]:
            function = lambda_client.get_function_configuration(FunctionName=mapping["FunctionArn"])
            pollers.add((function["Role"], mapping["EventSourceArn"]))
        return pollers

    def short(self, arn: str) -> str:
        """``arn:aws:iam::123:role/airline-local-XRole`` -> ``XRole``; ``table/airline-local-T`` -> ``T``."""
        name = arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        return name.removeprefix(self._prefix)

    def function_names(self) -> dict[str, str]:
        """Physical function name -> logical id."""
        return {
            resource.physical_id: resource.logical_id
            for resource in self.stack.of_type("AWS::Lambda::Function")
        }

    def customer(self, *, admin: bool = False) -> Customer:
        return self.cloud.create_customer(f"bench-{uuid.uuid4().hex[:12]}@example.com", admin=admin)

    def settle(self, booking_id: str) -> dict[str, Any]:
        """Wait for the booking's execution to end and for the event-source queues to drain; the
        execution's description."""
        sfn = self.cloud.client("stepfunctions")
        arn = execution_arn(self.stack, booking_id)
        deadline = time.monotonic() + SETTLE_DEADLINE_SECONDS
        while True:
            try:
                description: dict[str, Any] = sfn.describe_execution(executionArn=arn)
            except sfn.exceptions.ExecutionDoesNotExist:
                description = {"status": "RUNNING"}  # started by the time processBooking answers
            if description["status"] != "RUNNING" and self._queues_drained():
                return description
            if time.monotonic() > deadline:
                raise TimeoutError(f"booking {booking_id} did not settle within {SETTLE_DEADLINE_SECONDS} s")
            time.sleep(POLL_INTERVAL_SECONDS)

    def _queues_drained(self) -> bool:
        return queues_drained(self.cloud, {queue for _, queue in self._polling})

    def account(self, work: Work, window: Window) -> Work:
        """Fill ``work`` from what the window saw."""
        counts = Counter(
            (record.principal_arn, record.action, record.resource)
            for record in window.records
            if record.allowed
        )
        work.calls = sorted(
            (
                CallCount(
                    principal=self.short(principal),
                    action=action,
                    resource=self.short(resource),
                    count=count,
                    polling=action in EVENT_SOURCE_POLLING and (principal, resource) in self._polling,
                )
                for (principal, action, resource), count in counts.items()
            ),
            key=lambda call: (call.polling, call.principal, call.action),
        )
        callers: dict[str, str] = {}
        for request in window.dynamodb:
            if request.access_key_id not in callers:
                caller = self.cloud.directory.caller_for(request.access_key_id)
                callers[request.access_key_id] = (
                    self.short(caller.principal.principal_arn or "") if caller else "unknown"
                )
            uses = self.capacity.use(callers[request.access_key_id], request)
            work.capacity.extend(replace(use, table=self.short(use.table)) for use in uses)
        for name, reports in window.reports.items():
            logical = self.function_names().get(name, name)
            work.invocations[logical] = [report.duration_ms for report in reports]
        work.graphql_requests = window.graphql_requests
        work.dynamodb_requests = len(window.dynamodb)
        work.api_requests = window.api_requests
        return work

    def book(self, name: str, flight: Flight, token: str, customer: Customer | None = None) -> Work:
        customer = customer or self.customer()
        with self.observer.window() as window:
            started = graphql(
                self.graphql_url, customer.id_token, BOOK_MUTATION, book_variables(flight.id, token)
            )
            window.graphql_requests += 1
            description = self.settle(started["processBooking"]["id"])
        work = self.account(Work(name=name, outcome=str(description["status"])), window)
        if "executionArn" in description:
            history = self.cloud.client("stepfunctions").get_execution_history(
                executionArn=description["executionArn"], maxResults=1000
            )["events"]
            work.state_transitions, work.states_entered, work.retries = state_transitions(history)
            if description.get("stopDate"):
                work.execution_seconds = (description["stopDate"] - description["startDate"]).total_seconds()
        return work

    def loyalty_read(self, customer: Customer, query: str, variables: dict[str, Any] | None = None) -> Work:
        with self.observer.window() as window:
            answer = graphql(self.graphql_url, customer.id_token, query, variables)
            window.graphql_requests += 1
        return self.account(Work(name="loyalty read", outcome=json.dumps(answer["getLoyalty"])), window)

    def history_reads(self, sizes: Iterable[int], points_each: int) -> list[HistoryRead]:
        """For each history size: GetLoyalty through the whole path (GraphQL, as a member of the
        Admin group reading another customer) and the archived design's ledger Query, side by side."""
        staff = self.customer(admin=True)
        table = self.stack.outputs["LoyaltyTableName"]
        query = "query($c: ID) { getLoyalty(customerId: $c) { points } }"
        reads = []
        for size in sizes:
            customer_id = str(uuid.uuid4())
            total = seed_history(self.dynamodb, table, customer_id, size, points_each)
            work = self.loyalty_read(staff, query, {"c": customer_id})
            reads.append(
                HistoryRead(
                    design="GetLoyalty (running total, GetItem)",
                    bookings=size,
                    points=int(json.loads(work.outcome)["points"]),
                    calls=len(work.capacity),
                    items_read=sum(use.items for use in work.capacity),
                    read_units=work.read_units,
                )
            )
            archived = points_by_query(self.dynamodb, table, customer_id)
            reads.append(
                HistoryRead(
                    design="archived sample (sum of the ledger, Query)",
                    bookings=size,
                    points=archived.points,
                    calls=archived.calls,
                    items_read=archived.items_read,
                    read_units=archived.read_units,
                )
            )
            remove_history(self.dynamodb, table, customer_id)
            if archived.points != total:
                raise RuntimeError(f"the ledger of {size} bookings sums to {archived.points}, not {total}")
        return reads


def event_source_queues(cloud: LocalCloud) -> set[str]:
    """ARNs of the queues that event source mappings poll."""
    mappings = cloud.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    return {mapping["EventSourceArn"] for mapping in mappings}


def queues_drained(cloud: LocalCloud, queue_arns: Iterable[str]) -> bool:
    """No message waiting or in flight on any of the queues."""
    sqs = cloud.client("sqs")
    for queue_arn in queue_arns:
        # The URL from the ARN: the local cloud refuses GetQueueUrl (it names no resource it can authorise).
        *_, account_id, queue_name = queue_arn.split(":")
        url = f"{cloud.endpoints.aws}/{account_id}/{queue_name}"
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if any(int(value) for value in attributes.values()):
            return False
    return True


def wait_until_drained(cloud: LocalCloud, deadline_seconds: float = SETTLE_DEADLINE_SECONDS) -> None:
    """Until the event sources have consumed every message (or the deadline passes: the work goes on)."""
    queues = event_source_queues(cloud)
    deadline = time.monotonic() + deadline_seconds
    while not queues_drained(cloud, queues) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_SECONDS)


def execution_arn(stack: DeployedStack, booking_id: str) -> str:
    """The saga's execution for a booking: the stack's state machine, the execution named after it."""
    machines = stack.of_type("AWS::StepFunctions::StateMachine")
    if len(machines) != 1:
        raise RuntimeError(f"expected the stack to have one state machine, not {len(machines)}")
    return f"{machines[0].physical_id.replace(':stateMachine:', ':execution:')}:{booking_id}"


def benchmark_flights(cloud: LocalCloud) -> dict[str, Flight]:
    """The benchmark's own flights, seeded (again, harmlessly) into the flight table: one with every
    seat free, one sold out."""
    assert cloud.stack is not None
    template = sample_flights(datetime.now(UTC).date())[0]
    day = template.departure_date
    flights = {
        "open": replace(template, id=f"SA9001-{day}", flight_number="SA9001", seat_capacity=1_000_000),
        "sold out": replace(template, id=f"SA9000-{day}", flight_number="SA9000", seat_capacity=0),
    }
    seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], list(flights.values()))
    return flights


def measure_work(
    cloud: LocalCloud,
    history_sizes: Iterable[int],
    *,
    warm_up: bool = True,
    progress: Callable[[str], None] = print,
) -> WorkResults:
    """Each request alone on the local cloud. With ``warm_up``, after a confirmed and a declined booking
    that are not measured, so that the functions' workers are warm (as in a busy stack) and the
    executions' durations are not their cold starts'."""
    bench = WorkBench(cloud, Observer(cloud))
    flights = benchmark_flights(cloud)
    if warm_up:
        progress("  work: warming up (a confirmed and a declined booking, not measured)")
        for token in (GOOD_CARD, DECLINING_CARD):
            bench.book("warm-up", flights["open"], token)
    bookings = []
    for name, flight, token in (
        ("confirmed", flights["open"], GOOD_CARD),
        ("declined card", flights["open"], DECLINING_CARD),
        ("sold out", flights["sold out"], GOOD_CARD),
    ):
        progress(f"  work: a booking, {name}")
        bookings.append(bench.book(name, flight, token))
    progress("  work: a loyalty read")
    reader = bench.customer()
    bench.book("the reader's booking", flights["open"], GOOD_CARD, reader)  # gives the read something to read
    loyalty_read = bench.loyalty_read(reader, LOYALTY_QUERY)
    progress(f"  work: GetLoyalty against the archived design, histories of {list(history_sizes)}")
    history = bench.history_reads(history_sizes, flights["open"].price)
    return WorkResults(bookings=bookings, loyalty_read=loyalty_read, history=history)
