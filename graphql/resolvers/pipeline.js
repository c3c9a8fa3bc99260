/**
 * Mutation.processBooking, a pipeline resolver: lookUpFlight (the flight must be in the catalog),
 * findBookingRequest (has this purchase been asked for before?), countBookingsInFlight (the caller has
 * room for another), registerPaymentMethod (the card token, registered for the booking with the
 * payment provider), then startBooking (starts the booking saga, named after the booking). These
 * handlers run before and after the functions.
 *
 * A purchase is booked once however often it is sent: the client makes a request id when the
 * customer opens the checkout and sends it with every attempt of that purchase, and the booking id is
 * a name-based UUID (RFC 4122 version 5, SHA-1) of the caller's Cognito sub and that request id. The
 * same customer and request id always give the same booking id, so a repeated request finds the
 * registration and the saga of the first; another customer's request id, even the same one, gives
 * another booking id. APPSYNC_JS offers no hash, so SHA-1 is computed here, in plain ECMAScript.
 */
import { util } from '@aws-appsync/utils';

/** The namespace of the booking ids, fixed for good: changing it would change every booking's id. */
const BOOKING_NAMESPACE = 'a3bb31b4-c9bc-4077-ba88-f4aeb71ba59e';
const REQUEST_ID = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';
/** Printable ASCII, in code order from 0x20: a character's index here plus 32 is its byte. */
const PRINTABLE_ASCII =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const PRINTABLE = '^[ -~]{1,256}$';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  // The booking is made for the caller's Cognito sub and no one else's: without one, nothing starts.
  if (!ctx.identity?.sub) {
    util.unauthorized();
  }
  const { requestId, flightId, paymentToken } = ctx.args.input;
  if (!util.matches(REQUEST_ID, requestId)) {
    util.error('requestId must be a UUID made by the client for this purchase', 'BadRequest');
  }
  if (!util.matches(PRINTABLE, ctx.identity.sub)) {
    util.unauthorized();
  }
  // The booking's id, for every step: the payment method is registered under it and the saga's
  // execution is named after it.
  const bookingId = nameBasedUuid(BOOKING_NAMESPACE, `${ctx.identity.sub}:${requestId.toLowerCase()}`);
  ctx.stash.bookingId = bookingId;
  // What this request asks for, kept with the registration so that a repeat of the request can be
  // told from another purchase under the same request id. Namespaced by the booking, so equal inputs
  // of two bookings do not look alike; the steps that follow check each input's form.
  if (util.matches(PRINTABLE, flightId) && util.matches(PRINTABLE, paymentToken)) {
    ctx.stash.requestFingerprint = nameBasedUuid(bookingId, `${flightId}:${paymentToken}`);
  }
  return {};
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  return ctx.prev.result;
}

/** A version 5 UUID: SHA-1 of the namespace's 16 bytes and the name's, its first 16 bytes marked. */
function nameBasedUuid(namespace, name) {
  const digest = sha1([...uuidBytes(namespace), ...asciiBytes(name)]);
  const bytes = digest.slice(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.map((byte) => `0${byte.toString(16)}`.slice(-2)).join('');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

function uuidBytes(uuid) {
  const hex = uuid.split('-').join('');
  return range(16).map((index) => parseInt(hex.slice(2 * index, 2 * index + 2), 16));
}

/** The name's bytes; the callers have checked that it is printable ASCII. */
function asciiBytes(text) {
  return text.split('').map((character) => PRINTABLE_ASCII.indexOf(character) + 32);
}

/** 0, 1, ... count - 1 (APPSYNC_JS has no counting loop). */
function range(count) {
  return new Array(count).fill(0).map((_, index) => index);
}

/** SHA-1 (FIPS 180-4) of a byte array shorter than 2^29 bytes, as 20 bytes. */
function sha1(message) {
  const bitLength = message.length * 8;
  const zeros = (((55 - message.length) % 64) + 64) % 64;
  const padded = [
    ...message,
    0x80,
    ...range(zeros).map(() => 0),
    0,
    0,
    0,
    0,
    (bitLength >>> 24) & 0xff,
    (bitLength >>> 16) & 0xff,
    (bitLength >>> 8) & 0xff,
    bitLength & 0xff,
  ];
  const state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  for (const block of range(padded.length / 64)) {
    const words = range(16).map((index) => {
      const at = block * 64 + index * 4;
      return ((padded[at] << 24) | (padded[at + 1] << 16) | (padded[at + 2] << 8) | padded[at + 3]) >>> 0;
    });
    for (const index of range(64)) {
      const t = index + 16;
      words.push(rotateLeft(words[t - 3] ^ words[t - 8] ^ words[t - 14] ^ words[t - 16], 1));
    }
    let [a, b, c, d, e] = state;
    for (const t of range(80)) {
      const mixed = roundFunction(t, b, c, d);
      const next = (rotateLeft(a, 5) + mixed.value + e + mixed.constant + words[t]) >>> 0;
      e = d;
      d = c;
      c = rotateLeft(b, 30);
      b = a;
      a = next;
    }
    state[0] = (state[0] + a) >>> 0;
    state[1] = (state[1] + b) >>> 0;
    state[2] = (state[2] + c) >>> 0;
    state[3] = (state[3] + d) >>> 0;
    state[4] = (state[4] + e) >>> 0;
  }
  return state.flatMap((word) => [(word >>> 24) & 0xff, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff]);
}

/** SHA-1's round function and constant for round t ("^ 0xffffffff" is a bitwise not: APPSYNC_JS has no "~"). */
function roundFunction(t, b, c, d) {
  if (t < 20) {
    return { value: ((b & c) | ((b ^ 0xffffffff) & d)) >>> 0, constant: 0x5a827999 };
  }
  if (t < 40) {
    return { value: (b ^ c ^ d) >>> 0, constant: 0x6ed9eba1 };
  }
  if (t < 60) {
    return { value: ((b & c) | (b & d) | (c & d)) >>> 0, constant: 0x8f1bbcdc };
  }
  return { value: (b ^ c ^ d) >>> 0, constant: 0xca62c1d6 };
}

function rotateLeft(word, bits) {
  return ((word << bits) | (word >>> (32 - bits))) >>> 0;
}
