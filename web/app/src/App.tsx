import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";

import { AirlineApi, SessionExpired } from "./api";
import { BookingDetail } from "./BookingDetail";
import { Bookings } from "./Bookings";
import type { Tokens } from "./cognito";
import { type AppConfig, loadConfig } from "./config";
import { LoyaltyPage } from "./LoyaltyPage";
import { Search } from "./Search";
import { SignIn } from "./SignIn";
import { SignUp } from "./SignUp";
import { Alert, errorText } from "./ui";

function currentRoute(): string {
  return window.location.hash.replace(/^#/, "") || "/";
}

function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

function go(route: string) {
  window.location.hash = `#${route}`;
}

export function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  // The session lives in this page's memory only: nothing is written to storage, and a reload signs out.
  const [tokens, setTokens] = useState<Tokens | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const cardsUsed = useRef(new Map<string, string>());
  const route = useRoute();

  useEffect(() => {
    loadConfig().then(setConfig, (error: unknown) => setConfigError(errorText(error)));
  }, []);

  const api = useMemo(() => (config && tokens ? new AirlineApi(config, tokens) : null), [config, tokens]);

  const signOut = useCallback((message: string | null) => {
    setTokens(null);
    cardsUsed.current.clear();
    setNotice(message);
    go("/sign-in");
  }, []);

  /** Handles what every page may meet: an ended session. Returns whether the error was handled. */
  const onFailure = useCallback(
    (error: unknown) => {
      if (error instanceof SessionExpired) {
        signOut(error.message);
        return true;
      }
      return false;
    },
    [signOut],
  );

  if (configError) {
    return (
      <main id="main" class="panel narrow">
        <Alert kind="error">{configError}</Alert>
      </main>
    );
  }
  if (!config) {
    return <main id="main" aria-busy="true" />;
  }

  let page;
  if (!api || !tokens) {
    page = route.startsWith("/sign-up") ? (
      <SignUp
        config={config}
        confirming={confirming}
        onConfirmed={() => {
          setConfirming(null);
          setNotice("Your account is confirmed. Sign in.");
          go("/sign-in");
        }}
      />
    ) : (
      <SignIn
        config={config}
        notice={notice}
        onSignedIn={(signedIn) => {
          setNotice(null);
          setTokens(signedIn);
          go("/search");
        }}
        onNeedsConfirmation={(email) => {
          setConfirming(email);
          go("/sign-up");
        }}
      />
    );
  } else {
    const booking = /^\/bookings\/(.+)$/.exec(route);
    if (booking?.[1]) {
      const id = decodeURIComponent(booking[1]);
      page = (
        <BookingDetail
          key={id}
          api={api}
          id={id}
          cardToken={cardsUsed.current.get(id) ?? null}
          onFailure={onFailure}
        />
      );
    } else if (route === "/bookings") {
      page = <Bookings api={api} onFailure={onFailure} />;
    } else if (route === "/loyalty") {
      page = <LoyaltyPage api={api} onFailure={onFailure} />;
    } else {
      page = (
        <Search
          api={api}
          onFailure={onFailure}
          onBooked={(id, card) => {
            cardsUsed.current.set(id, card);
            go(`/bookings/${id}`);
          }}
        />
      );
    }
  }

  return (
    <>
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          // The hash is the app's route: move the focus without changing it.
          event.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="site-header">
        <p class="brand">Serverless Airline</p>
        {tokens ? (
          <nav aria-label="Main">
            <NavLink route={route} to="/search" label="Search flights" />
            <NavLink route={route} to="/bookings" label="My bookings" />
            <NavLink route={route} to="/loyalty" label="Loyalty" />
            <span class="who">{tokens.email}</span>
            <button type="button" class="link-button" onClick={() => signOut("You have signed out.")}>
              Sign out
            </button>
          </nav>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

function NavLink({ route, to, label }: { route: string; to: string; label: string }) {
  const current = route === to || (to === "/bookings" && route.startsWith("/bookings/"));
  return (
    <a href={`#${to}`} aria-current={current ? "page" : undefined}>
      {label}
    </a>
  );
}
