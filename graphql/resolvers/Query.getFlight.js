/**
 * Query.getFlight: one flight of the catalog by id (GetItem on the flight table).
 */
import { util } from '@aws-appsync/utils';

// The catalog's flight ids, e.g. "SA101-2030-01-08" (the booking service checks the same pattern).
const FLIGHT_ID = '^[A-Za-z0-9-]{1,64}$';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  if (!util.matches(FLIGHT_ID, ctx.args.id)) {
    util.error('id must be a flight id, e.g. SA101-2030-01-08', 'BadRequest');
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
  if (!ctx.result) {
    return null;
  }
  return toFlight(ctx.result);
}

/**
 * The Flight type's fields, and only those. The schema would drop the rest anyway; naming them here
 * keeps the saga's bookkeeping (reservedBookings, the route key) out of the resolver's result too.
 */
function toFlight(item) {
  return {
    id: item.id,
    flightNumber: item.flightNumber,
    departureAirportCode: item.departureAirportCode,
    arrivalAirportCode: item.arrivalAirportCode,
    departureDate: item.departureDate,
    departureDateTime: item.departureDateTime,
    arrivalDateTime: item.arrivalDateTime,
    price: item.price,
    currency: item.currency,
    seatCapacity: item.seatCapacity,
    seatsAvailable: item.seatsAvailable,
  };
}
