import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import { type Decision, type Stack, loadStack, watchDecisions } from "./api";
import { DecisionDetail, DecisionList } from "./DecisionList";
import { type EdgeState, MapView, edgeKey } from "./MapView";
import { Replays } from "./Replays";
import { Roles } from "./Roles";

const KEPT = 400;
const FRESH_MS = 2500;

/** A decision, and how many identical ones (same principal, action, resource, outcome) it stands for. */
export interface Entry extends Decision {
  repeats: number;
}

const sameKind = (a: Decision, b: Decision) =>
  a.principal === b.principal &&
  a.action === b.action &&
  a.resource === b.resource &&
  a.allowed === b.allowed;

export function App() {
  const [stack, setStack] = useState<Stack | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [received, setReceived] = useState(0);
  const [live, setLive] = useState(false);
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState<Decision[]>([]);
  const [principal, setPrincipal] = useState("");
  const [deniedOnly, setDeniedOnly] = useState(false);
  const [selected, setSelected] = useState<Decision | null>(null);
  const [observed, setObserved] = useState(new Map<string, EdgeState>());
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    loadStack().then(setStack, (caught: unknown) => setError(String(caught)));
  }, []);

  useEffect(
    () =>
      watchDecisions((decision) => {
        setReceived((count) => count + 1);
        if (pausedRef.current) {
          setHeld((waiting) => [...waiting, decision]);
        } else {
          show([decision]);
        }
      }, setLive),
    [],
  );

  function show(decisions: Decision[]) {
    setEntries((current) => {
      let next = current;
      for (const decision of decisions) {
        // Repeats (a poller's every call) fold into the latest identical entry instead of a new line.
        const index = next.slice(0, 25).findIndex((entry) => sameKind(entry, decision));
        const repeats = index >= 0 ? (next[index]?.repeats ?? 0) + 1 : 1;
        const rest = index >= 0 ? [...next.slice(0, index), ...next.slice(index + 1)] : next;
        next = [{ ...decision, repeats }, ...rest].slice(0, KEPT);
      }
      return next;
    });
    const fresh = decisions.filter((decision) => decision.to !== null);
    if (fresh.length === 0) return;
    setObserved((current) => {
      const next = new Map(current);
      for (const decision of fresh) {
        next.set(edgeKey(decision.from, decision.to ?? ""), { allowed: decision.allowed, fresh: true });
      }
      return next;
    });
    const keys = fresh.map((decision) => edgeKey(decision.from, decision.to ?? ""));
    window.setTimeout(() => {
      setObserved((current) => {
        const next = new Map(current);
        for (const key of keys) {
          const state = next.get(key);
          if (state) next.set(key, { ...state, fresh: false });
        }
        return next;
      });
    }, FRESH_MS);
  }

  function togglePause() {
    if (paused) {
      show(held);
      setHeld([]);
    }
    setPaused(!paused);
  }

  const principals = useMemo(
    () => [...new Set(entries.map((entry) => entry.principalLabel))].sort(),
    [entries],
  );
  const visible = entries.filter(
    (entry) => (principal === "" || entry.principalLabel === principal) && (!deniedOnly || !entry.allowed),
  );

  return (
    <>
      <header class="site-header">
        <h1>Boundary map {stack ? <span class="stack-name">{stack.stack}</span> : null}</h1>
        <p class="live" role="status">
          {live ? "● live" : "○ reconnecting…"} · {received} decisions
          {paused ? ` · paused, ${held.length} waiting` : ""}
        </p>
      </header>
      <main>
        {error ? <p class="denied">{error}</p> : null}
        <section class="map-panel" aria-label="The stack">
          {stack ? (
            <MapView
              stack={stack}
              observed={observed}
              selected={selected?.to ? edgeKey(selected.from, selected.to) : null}
            />
          ) : (
            <p>Loading the stack…</p>
          )}
          <p class="legend">
            <span class="key key-allowed">allowed</span> <span class="key key-denied">denied</span>{" "}
            <span class="key key-grant">grant</span> <span class="key key-flow">flow</span>
          </p>
        </section>
        <div class="columns">
          <section aria-labelledby="decisions-heading">
            <h2 id="decisions-heading">Decisions</h2>
            <div class="controls">
              <button type="button" aria-pressed={paused} onClick={togglePause}>
                {paused ? "Resume" : "Pause"}
              </button>
              <label for="principal-filter">Principal</label>
              <select
                id="principal-filter"
                value={principal}
                onChange={(event) => setPrincipal(event.currentTarget.value)}
              >
                <option value="">All principals</option>
                {principals.map((label) => (
                  <option key={label} value={label}>
                    {label}
                  </option>
                ))}
              </select>
              <label class="inline">
                <input
                  type="checkbox"
                  checked={deniedOnly}
                  onChange={(event) => setDeniedOnly(event.currentTarget.checked)}
                />{" "}
                Denied only
              </label>
            </div>
            <DecisionList decisions={visible} selected={selected?.id ?? null} onSelect={setSelected} />
          </section>
          <section aria-labelledby="detail-heading">
            <h2 id="detail-heading">Decision</h2>
            <DecisionDetail decision={selected} />
            <h2>Replay an attack</h2>
            <Replays />
          </section>
          <section aria-labelledby="roles-heading">
            <h2 id="roles-heading">Granted vs used</h2>
            <Roles decisionCount={received} />
          </section>
        </div>
      </main>
    </>
  );
}
