/**
 * processBooking, step 3: register the customer's card token for the new booking with the payment
 * provider, before anything else sees the booking. The simulated provider keeps registrations in the
 * payment table, written through a data source whose role may only put a registration's attributes
 * there (conditional: never over an existing payment).
 *
 * The token goes no further. The saga carries the booking id only, so no token is in an execution's
 * input or history; CollectPayment charges what is registered here and erases the token in the same
 * write that records the outcome. A registration no saga charges lapses after REGISTRATION_SECONDS:
 * it is not charged after that, and the table's time to live deletes it.
 */
import { util } from '@aws-appsync/utils';

// The payment provider's card tokens, e.g. "tok_visa" (the payment service checks the same pattern).
const PAYMENT_TOKEN = '^tok_[A-Za-z0-9_]{1,64}$';
const REGISTRATION_SECONDS = 3600;

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  const { paymentToken } = ctx.args.input;
  if (!util.matches(PAYMENT_TOKEN, paymentToken)) {
    util.error('paymentToken must be a payment token, e.g. tok_visa', 'BadRequest');
  }
  // The catalog's price, as looked up by lookUpFlight: what the customer agrees to pay.
  const flight = ctx.prev.result;
  return {
    operation: 'PutItem',
    key: util.dynamodb.toMapValues({ bookingId: ctx.stash.bookingId }),
    attributeValues: util.dynamodb.toMapValues({
      status: 'REGISTERED',
      paymentMethod: paymentToken,
      amount: flight.price,
      currency: flight.currency,
      registeredAt: util.time.nowISO8601(),
      expiresAt: util.time.nowEpochSeconds() + REGISTRATION_SECONDS,
    }),
    condition: { expression: 'attribute_not_exists(bookingId)' },
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error('The payment method could not be registered', ctx.error.type);
  }
  // The flight goes on to startBooking; the registration (and its token) does not.
  return ctx.prev.result;
}
