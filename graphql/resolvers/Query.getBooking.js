/**
 * Query.getBooking: one of the caller's own bookings (GetItem on the booking table).
 *
 * The table is keyed by booking id alone, so the item is read first and handed back only if it belongs
 * to the caller. Another customer's booking resolves to null, exactly like an unknown id: the answer
 * must not tell a caller that someone else's booking exists.
 */
import { util } from '@aws-appsync/utils';

// Booking ids are lower-case UUIDs (util.autoId()).
const BOOKING_ID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  // Only user pool callers have a sub; the schema admits no one else here, and this holds if it ever did.
  if (!ctx.identity?.sub) {
    util.unauthorized();
  }
  if (!util.matches(BOOKING_ID, ctx.args.id)) {
    util.error('id must be a booking id (a UUID)', 'BadRequest');
  }
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ id: ctx.args.id }),
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  if (!ctx.result || ctx.result.customerId !== ctx.identity.sub) {
    return null;
  }
  return toBooking(ctx.result);
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
