// Small building blocks shared by the pages: a page heading that takes focus, labelled fields, alerts.

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** The page's heading; focused when the page opens, so screen readers announce where the user is. */
export function PageHeading({ children }: { children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  children: ComponentChildren;
}

export function Field({ id, label, hint, children }: FieldProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {children}
    </div>
  );
}

export function Alert({
  kind,
  children,
}: {
  kind: "error" | "info" | "success";
  children: ComponentChildren;
}) {
  // Errors interrupt (role=alert); the rest is announced when the reader is idle.
  return (
    <div class={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
