/**
 * Query.searchFlights: the flights on a route on one day, from the flight table's byRoute index
 * (route = "LGW#MAD", departureDate = "YYYY-MM-DD"). The data source's role may Query that index only.
 */
import { util } from '@aws-appsync/utils';

// IATA airport codes. The index key is built from them, so anything else could only miss.
const AIRPORT_CODE = '^[A-Z]{3}$';
// AWSDate also admits a time zone offset ("2030-01-01Z"); the index stores plain dates only.
const PLAIN_DATE = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  const { departureAirportCode, arrivalAirportCode, departureDate } = ctx.args;
  if (!util.matches(AIRPORT_CODE, departureAirportCode)) {
    util.error('departureAirportCode must be a three-letter IATA airport code, e.g. LGW', 'BadRequest');
  }
  if (!util.matches(AIRPORT_CODE, arrivalAirportCode)) {
    util.error('arrivalAirportCode must be a three-letter IATA airport code, e.g. MAD', 'BadRequest');
  }
  if (departureAirportCode === arrivalAirportCode) {
    util.error('departureAirportCode and arrivalAirportCode must differ', 'BadRequest');
  }
  if (!util.matches(PLAIN_DATE, departureDate)) {
    util.error('departureDate must be a date without a time zone, e.g. 2030-01-31', 'BadRequest');
  }
  return {
    operation: 'Query',
    index: 'byRoute',
    query: {
      expression: '#route = :route AND #departureDate = :departureDate',
      expressionNames: { '#route': 'route', '#departureDate': 'departureDate' },
      expressionValues: util.dynamodb.toMapValues({
        ':route': `${departureAirportCode}#${arrivalAirportCode}`,
        ':departureDate': departureDate,
      }),
    },
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result.items.map(toFlight);
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
