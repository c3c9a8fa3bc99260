/**
 * Query.listBookings: the caller's bookings, newest first (Query on the booking table's byCustomer
 * index, hash key customerId, range key createdAt).
 *
 * The partition is always the caller's own sub: no argument can name another customer. nextToken is
 * passed through as AppSync issued it (AppSync encrypts it), and it can only continue a query on the
 * caller's own partition, since the key condition is rebuilt from the identity on every page.
 */
import { util } from '@aws-appsync/utils';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  const customerId = ctx.identity?.sub;
  if (!customerId) {
    util.unauthorized();
  }
  const limit = ctx.args.limit ?? DEFAULT_PAGE_SIZE;
  if (limit < 1) {
    util.error(`limit must be between 1 and ${MAX_PAGE_SIZE}`, 'BadRequest');
  }
  const query = {
    operation: 'Query',
    index: 'byCustomer',
    query: {
      expression: '#customerId = :customerId',
      expressionNames: { '#customerId': 'customerId' },
      expressionValues: util.dynamodb.toMapValues({ ':customerId': customerId }),
    },
    // createdAt descending: newest first.
    scanIndexForward: false,
    // A page is at most this long anyway, so a larger limit is served as the largest page.
    limit: Math.min(limit, MAX_PAGE_SIZE),
  };
  if (ctx.args.nextToken) {
    query.nextToken = ctx.args.nextToken;
  }
  return query;
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return {
    items: ctx.result.items.map(toBooking),
    nextToken: ctx.result.nextToken ?? null,
  };
}

/** The Booking type's fields. The owner's id is the caller's own and is not repeated. */
function toBooking(item) {
  return {
    id: item.id,
    flightId: item.flightId,
    status: item.status,
    amount: item.amount,
    currency: item.currency,
    createdAt: item.createdAt,
    bookingReference: item.bookingReference ?? null,
    confirmedAt: item.confirmedAt ?? null,
    cancelledAt: item.cancelledAt ?? null,
    cancellationReason: item.cancellationReason ?? null,
  };
}
