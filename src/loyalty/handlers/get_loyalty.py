"""GetLoyalty: ``GET /loyalty/{customerId}/get`` behind the AWS_IAM-protected loyalty API."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.events import InvalidRequestError, parse_event
from common.observability import count, instrumented
from loyalty.dependencies import loyalty_ledger
from loyalty.models import CustomerPath
from loyalty.service import loyalty_of

app = APIGatewayRestResolver()


@app.get("/loyalty/<customerId>/get")
def get_loyalty(customerId: str) -> dict[str, object]:  # noqa: N803 - the route's path parameter
    path = parse_event(CustomerPath, {"customerId": customerId})
    summary = loyalty_of(path.customer_id, loyalty_ledger())
    count("LoyaltyRead")
    return summary.to_event()


# Every domain error becomes an HTTP response here, and only here.
@app.exception_handler(InvalidRequestError)  # type: ignore[untyped-decorator]
def invalid_request(error: InvalidRequestError) -> Response[str]:
    return _error(400, f"invalid request: {error}")


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return _error(404, "no such route")


def _error(status: int, message: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"message": message}),
    )


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
