// The GraphQL operations the app uses (graphql/schema.graphql), each sent with the customer's ID token.

import type { AppConfig } from "./config";
import type { Tokens } from "./cognito";

export interface Flight {
  id: string;
  flightNumber: string;
  departureAirportCode: string;
  arrivalAirportCode: string;
  departureDateTime: string;
  arrivalDateTime: string;
  price: number;
  currency: string;
  seatsAvailable: number;
}

export type BookingStatus = "UNCONFIRMED" | "CONFIRMED" | "CANCELLED";

export interface Booking {
  id: string;
  flightId: string;
  status: BookingStatus;
  amount: number;
  currency: string;
  createdAt: string;
  bookingReference: string | null;
  confirmedAt: string | null;
  cancelledAt: string | null;
}

export interface Loyalty {
  points: number;
  level: string;
  remainingPoints: number;
}

export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The session is over (the token expired or was refused): sign in again. */
export class SessionExpired extends ApiError {}

const BOOKING_FIELDS =
  "id flightId status amount currency createdAt bookingReference confirmedAt cancelledAt";

export class AirlineApi {
  constructor(
    private readonly config: AppConfig,
    private readonly tokens: Tokens,
  ) {}

  async searchFlights(from: string, to: string, date: string): Promise<Flight[]> {
    const data = await this.request<{ searchFlights: Flight[] }>(
      `query Search($from: String!, $to: String!, $date: AWSDate!) {
        searchFlights(departureAirportCode: $from, arrivalAirportCode: $to, departureDate: $date) {
          id flightNumber departureAirportCode arrivalAirportCode departureDateTime arrivalDateTime
          price currency seatsAvailable
        }
      }`,
      { from, to, date },
    );
    return data.searchFlights;
  }

  /**
   * Books once per requestId: send the same one with every attempt of a purchase (a retry after an
   * error or a lost answer is answered with the same booking), and a new one for a new purchase.
   */
  async book(requestId: string, flightId: string, paymentToken: string): Promise<string> {
    const data = await this.request<{ processBooking: { id: string; status: string } }>(
      `mutation Book($requestId: ID!, $flightId: ID!, $paymentToken: String!) {
        processBooking(input: { requestId: $requestId, flightId: $flightId, paymentToken: $paymentToken }) {
          id
          status
        }
      }`,
      { requestId, flightId, paymentToken },
    );
    return data.processBooking.id;
  }

  async booking(id: string): Promise<Booking | null> {
    const data = await this.request<{ getBooking: Booking | null }>(
      `query Booking($id: ID!) { getBooking(id: $id) { ${BOOKING_FIELDS} } }`,
      { id },
    );
    return data.getBooking;
  }

  async bookings(nextToken: string | null): Promise<{ items: Booking[]; nextToken: string | null }> {
    const data = await this.request<{ listBookings: { items: Booking[]; nextToken: string | null } }>(
      `query Bookings($nextToken: String) {
        listBookings(limit: 20, nextToken: $nextToken) { items { ${BOOKING_FIELDS} } nextToken }
      }`,
      { nextToken },
    );
    return data.listBookings;
  }

  async loyalty(): Promise<Loyalty | null> {
    const data = await this.request<{ getLoyalty: Loyalty | null }>(
      "query Loyalty { getLoyalty { points level remainingPoints } }",
      {},
    );
    return data.getLoyalty;
  }

  private async request<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    if (Date.now() >= this.tokens.expiresAt) {
      throw new SessionExpired("SessionExpired", "Your session has ended. Sign in again.");
    }
    let response: Response;
    try {
      response = await fetch(this.config.graphqlUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: this.tokens.idToken },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new ApiError(
        "NetworkError",
        "The airline cannot be reached. Check your connection and try again.",
      );
    }
    if (response.status === 401) {
      throw new SessionExpired("Unauthorized", "Your session has ended. Sign in again.");
    }
    const body = (await response.json().catch(() => ({}))) as {
      data?: T;
      errors?: { errorType?: string; message?: string }[];
    };
    const [error] = body.errors ?? [];
    if (error !== undefined || body.data === undefined) {
      throw new ApiError(
        error?.errorType ?? `HTTP ${response.status}`,
        error?.message ?? "The request failed.",
      );
    }
    return body.data;
  }
}
