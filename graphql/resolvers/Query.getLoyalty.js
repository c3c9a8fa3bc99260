/**
 * Query.getLoyalty: a customer's loyalty points, from the loyalty REST API
 * (GET /{stage}/loyalty/{customerId}/get, signed with SigV4 by the HTTP data source).
 *
 * The REST API trusts whoever signs with the data source's role, so this resolver is where customers
 * are kept apart: a customer reads their own points; reading another customer's takes membership of
 * the Admin group.
 */
import { util } from '@aws-appsync/utils';

const ADMIN_GROUP = 'Admin';
// Customer ids are Cognito subs (UUIDs). The id becomes a path segment, so nothing else may pass:
// a "/" or ".." would point the signed request at another route.
const CUSTOMER_ID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  const callerId = ctx.identity?.sub;
  if (!callerId) {
    util.unauthorized();
  }
  const customerId = ctx.args.customerId ?? callerId;
  if (customerId !== callerId && !(ctx.identity.groups ?? []).includes(ADMIN_GROUP)) {
    util.unauthorized();
  }
  if (!util.matches(CUSTOMER_ID, customerId)) {
    util.error('customerId must be a customer id (a UUID)', 'BadRequest');
  }
  return {
    method: 'GET',
    resourcePath: `/${ctx.env.LOYALTY_API_STAGE}/loyalty/${customerId}/get`,
    params: {
      headers: { accept: 'application/json' },
    },
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const { statusCode, body } = ctx.result;
  if (statusCode === 200) {
    const summary = JSON.parse(body);
    return {
      points: summary.points,
      level: summary.level,
      remainingPoints: summary.remainingPoints,
    };
  }
  if (statusCode === 422) {
    // The function's request validation (Powertools) names the invalid parameters, not their values.
    const invalid = invalidParametersOf(body);
    const detail = invalid ? `: invalid ${invalid}` : '';
    util.error(`The loyalty service rejected the request${detail}`, 'BadRequest');
  }
  if (statusCode === 429) {
    // The stage's throttle (or its usage plan) refused the call before the function ran: nothing was
    // read, and the same query succeeds once the burst has passed.
    util.error(
      'The loyalty service is busy: retry after a backoff',
      'Throttled',
      null,
      { retryable: true, retryStrategy: 'exponential backoff with jitter' },
    );
  }
  if (statusCode === 403) {
    // API Gateway refused the data source's signed call: its message names roles and ARNs, which are
    // no business of the caller, so it is not passed on.
    util.error('The loyalty service refused the request', 'Forbidden');
  }
  util.error(`The loyalty service failed (HTTP ${statusCode})`, 'LoyaltyServiceError');
}

/** "path.customerId" for a validation error body naming that parameter; null for any other body. */
function invalidParametersOf(body) {
  if (typeof body !== 'string' || !body.startsWith('{')) {
    return null;
  }
  const detail = JSON.parse(body).detail;
  if (!Array.isArray(detail) || detail.length === 0) {
    return null;
  }
  return detail.map((issue) => issue.loc.join('.')).join(', ');
}
