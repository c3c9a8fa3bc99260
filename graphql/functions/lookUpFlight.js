/**
 * processBooking, step 1: the flight must exist in the catalog (GetItem on the flight table) and must
 * not have departed. Seats are not checked here: the saga takes one atomically, or cancels the booking
 * if none is left; it also refuses a departed flight itself, for any caller of StartExecution.
 */
import { util } from '@aws-appsync/utils';

// The catalog's flight ids, e.g. "SA101-2030-01-08" (the booking service checks the same pattern).
const FLIGHT_ID = '^[A-Za-z0-9-]{1,64}$';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  const { flightId } = ctx.args.input;
  if (!util.matches(FLIGHT_ID, flightId)) {
    util.error('flightId must be a flight id, e.g. SA101-2030-01-08', 'BadRequest');
  }
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ id: flightId }),
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  if (!ctx.result) {
    util.error('Flight not found', 'NotFound');
  }
  // Compared as instants, not as text: the catalog's departureDateTime carries an offset.
  const departure = util.time.parseISO8601ToEpochMilliSeconds(ctx.result.departureDateTime);
  if (departure <= util.time.nowEpochMilliSeconds()) {
    util.error('The flight has already departed: it can no longer be booked', 'FlightDeparted');
  }
  // The id, and the price the payment method is registered for. The saga reads the price from the
  // catalog itself and charges it only if it is the price registered.
  return { id: ctx.result.id, price: ctx.result.price, currency: ctx.result.currency };
}
