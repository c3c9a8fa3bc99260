import { useState } from "preact/hooks";

import type { AirlineApi, Flight } from "./api";
import { dateTime, money } from "./format";
import cards from "./test-cards.json";
import { Alert, Field, PageHeading, errorText } from "./ui";

interface Props {
  api: AirlineApi;
  onFailure: (error: unknown) => boolean;
  onBooked: (bookingId: string, cardToken: string) => void;
}

const AIRPORT = "[A-Za-z]{3}";

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function Search({ api, onFailure, onBooked }: Props) {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [date, setDate] = useState(today());
  const [flights, setFlights] = useState<Flight[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [chosen, setChosen] = useState<Flight | null>(null);

  async function search(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setChosen(null);
    try {
      setFlights(await api.searchFlights(from.trim().toUpperCase(), to.trim().toUpperCase(), date));
    } catch (caught) {
      if (!onFailure(caught)) setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel">
      <PageHeading>Search flights</PageHeading>
      <form class="search" onSubmit={search}>
        <Field id="from" label="From" hint="Airport code, e.g. LGW">
          <input
            id="from"
            required
            pattern={AIRPORT}
            maxLength={3}
            autoCapitalize="characters"
            aria-describedby="from-hint"
            value={from}
            onInput={(event) => setFrom(event.currentTarget.value)}
          />
        </Field>
        <Field id="to" label="To" hint="Airport code, e.g. MAD">
          <input
            id="to"
            required
            pattern={AIRPORT}
            maxLength={3}
            autoCapitalize="characters"
            aria-describedby="to-hint"
            value={to}
            onInput={(event) => setTo(event.currentTarget.value)}
          />
        </Field>
        <Field id="date" label="Date">
          <input
            id="date"
            type="date"
            required
            value={date}
            onInput={(event) => setDate(event.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? "Searching…" : "Search"}
        </button>
      </form>
      {error ? <Alert kind="error">{error}</Alert> : null}
      <div aria-live="polite">
        {flights === null ? null : flights.length === 0 ? (
          <p>No flights on this route that day.</p>
        ) : (
          <>
            <h2>{flights.length === 1 ? "1 flight" : `${flights.length} flights`}</h2>
            <ul class="flights">
              {flights.map((flight) => (
                <li key={flight.id} class="flight">
                  <div>
                    <strong>{flight.flightNumber}</strong> {flight.departureAirportCode} →{" "}
                    {flight.arrivalAirportCode}
                    <br />
                    {dateTime(flight.departureDateTime)} – {dateTime(flight.arrivalDateTime)}
                  </div>
                  <div class="price">{money(flight.price, flight.currency)}</div>
                  <div>{flight.seatsAvailable > 0 ? `${flight.seatsAvailable} seats left` : "Full"}</div>
                  <button
                    type="button"
                    disabled={flight.seatsAvailable <= 0}
                    aria-label={`Book ${flight.flightNumber}`}
                    onClick={() => setChosen(flight)}
                  >
                    Book
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      {chosen ? (
        <Checkout key={chosen.id} api={api} flight={chosen} onFailure={onFailure} onBooked={onBooked} />
      ) : null}
    </section>
  );
}

interface CheckoutProps {
  api: AirlineApi;
  flight: Flight;
  onFailure: (error: unknown) => boolean;
  onBooked: (bookingId: string, cardToken: string) => void;
}

function Checkout({ api, flight, onFailure, onBooked }: CheckoutProps) {
  const [card, setCard] = useState(cards.cards[0]?.token ?? "");
  // One purchase, one request id: made when the checkout opens and sent with every attempt, so a
  // double click or a retry books once. Another card is another purchase, with a new id.
  const [requestId, setRequestId] = useState(() => crypto.randomUUID());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function pay(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onBooked(await api.book(requestId, flight.id, card), card);
    } catch (caught) {
      if (!onFailure(caught)) setError(errorText(caught));
      setBusy(false);
    }
  }

  return (
    <form class="checkout" onSubmit={pay} aria-labelledby="checkout-heading">
      <h2 id="checkout-heading">
        Book {flight.flightNumber} for {money(flight.price, flight.currency)}
      </h2>
      {error ? <Alert kind="error">{error}</Alert> : null}
      <fieldset>
        <legend>Pay with a test card</legend>
        {cards.cards.map((option) => (
          <div class="choice" key={option.token}>
            <input
              type="radio"
              id={`card-${option.token}`}
              name="card"
              value={option.token}
              checked={card === option.token}
              onChange={() => {
                setCard(option.token);
                setRequestId(crypto.randomUUID());
              }}
            />
            <label for={`card-${option.token}`}>
              {option.label} <code>{option.token}</code>
              {option.declineCode ? <span class="hint"> (declined: {option.declineCode})</span> : null}
            </label>
          </div>
        ))}
      </fieldset>
      <button type="submit" disabled={busy}>
        {busy ? "Booking…" : "Pay and book"}
      </button>
    </form>
  );
}
