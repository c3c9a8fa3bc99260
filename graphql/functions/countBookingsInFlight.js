/**
 * processBooking, step 3: a customer may have at most five bookings in flight (UNCONFIRMED: the saga
 * has created them and not yet confirmed or cancelled them). Query on the booking table's byCustomer
 * index, on the caller's own partition, newest first.
 *
 * Bookings in flight are always among a customer's newest, so only the latest page is read: the
 * check costs one small Query, whatever the customer's history. A booking whose saga has started but
 * not yet created it is not counted; one mutation per request and the web ACL's rate limit bound
 * how many of those a customer can have.
 */
import { runtime, util } from '@aws-appsync/utils';

const MAX_BOOKINGS_IN_FLIGHT = 5;
const RECENT_BOOKINGS = 20;

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  // A repeat of a request already counted (it has its booking) is not counted against itself.
  if (ctx.stash.requestedBefore) {
    runtime.earlyReturn(ctx.prev.result);
  }
  return {
    operation: 'Query',
    index: 'byCustomer',
    query: {
      expression: '#customerId = :customerId',
      expressionNames: { '#customerId': 'customerId' },
      expressionValues: util.dynamodb.toMapValues({ ':customerId': ctx.identity.sub }),
    },
    filter: {
      expression: '#status = :unconfirmed',
      expressionNames: { '#status': 'status' },
      expressionValues: util.dynamodb.toMapValues({ ':unconfirmed': 'UNCONFIRMED' }),
    },
    // createdAt descending: the newest first. The limit applies before the filter.
    scanIndexForward: false,
    limit: RECENT_BOOKINGS,
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  if (ctx.result.items.length >= MAX_BOOKINGS_IN_FLIGHT) {
    util.error(
      `You already have ${MAX_BOOKINGS_IN_FLIGHT} bookings in progress: book again once one of them is confirmed or cancelled`,
      'TooManyBookingsInFlight',
    );
  }
  // The flight looked up by the previous step goes on to startBooking unchanged.
  return ctx.prev.result;
}
