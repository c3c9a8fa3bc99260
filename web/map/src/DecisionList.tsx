import type { Decision } from "./api";
import type { Entry } from "./App";

interface Props {
  decisions: Entry[];
  selected: number | null;
  onSelect: (decision: Decision) => void;
}

export function DecisionList({ decisions, selected, onSelect }: Props) {
  if (decisions.length === 0) {
    return <p class="muted">No decisions yet: use the web app, or replay an attack.</p>;
  }
  return (
    <ol class="decisions" reversed>
      {decisions.map((decision) => (
        <li key={decision.id}>
          <button
            type="button"
            class={`decision ${decision.allowed ? "allowed" : "denied"}`}
            aria-pressed={selected === decision.id}
            title={`${decision.allowed ? "Allowed" : "Denied"}: ${decision.reason}`}
            data-decision={decision.id}
            data-allowed={String(decision.allowed)}
            onClick={() => onSelect(decision)}
          >
            <span class="verdict">{decision.allowed ? "✓ allowed" : "✗ denied"}</span>
            <span class="who">{decision.principalLabel}</span>
            <span class="what">{decision.action}</span>
            <span class="on">{shortResource(decision.resource)}</span>
            {decision.repeats > 1 ? <span class="repeats">×{decision.repeats}</span> : null}
          </button>
        </li>
      ))}
    </ol>
  );
}

export function DecisionDetail({ decision }: { decision: Decision | null }) {
  if (!decision) {
    return <p class="muted">Select a decision to see who asked for what, and which statement decided.</p>;
  }
  return (
    <dl class={`detail ${decision.allowed ? "allowed" : "denied"}`}>
      <dt>Outcome</dt>
      <dd>
        <strong>{decision.allowed ? "Allowed" : "Denied"}</strong>
      </dd>
      <dt>Decided by</dt>
      <dd>{decision.source}</dd>
      <dt>Principal</dt>
      <dd class="mono">{decision.principal}</dd>
      <dt>Action</dt>
      <dd class="mono">{decision.action}</dd>
      <dt>Resource</dt>
      <dd class="mono">{decision.resource}</dd>
      <dt>Why</dt>
      <dd>{decision.reason}</dd>
      <dt>When</dt>
      <dd>{decision.time}</dd>
    </dl>
  );
}

function shortResource(resource: string): string {
  const parts = resource.split(":");
  return parts.length > 5 ? parts.slice(5).join(":") : resource;
}
