import { useState } from "preact/hooks";

import type { AppConfig } from "./config";
import { confirmSignUp, resendCode, signUp } from "./cognito";
import { Alert, Field, PageHeading, errorText } from "./ui";

interface Props {
  config: AppConfig;
  /** Set when a sign-in found the account unconfirmed: go straight to the code. */
  confirming: string | null;
  onConfirmed: (email: string) => void;
}

export function SignUp({ config, confirming, onConfirmed }: Props) {
  const [email, setEmail] = useState(confirming ?? "");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [stage, setStage] = useState<"details" | "code">(confirming ? "code" : "details");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(
    confirming ? `Enter the code we sent to ${confirming} to confirm your account.` : null,
  );
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  }

  const register = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const confirmed = await signUp(config, email.trim(), password);
      if (confirmed) {
        onConfirmed(email.trim());
        return;
      }
      setStage("code");
      setNotice(`We sent a confirmation code to ${email.trim()}. Enter it below.`);
    });
  };

  const confirm = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await confirmSignUp(config, email.trim(), code.trim());
      onConfirmed(email.trim());
    });
  };

  const resend = () =>
    void run(async () => {
      await resendCode(config, email.trim());
      setNotice(`We sent a new code to ${email.trim()}.`);
    });

  return (
    <section class="panel narrow">
      <PageHeading>{stage === "details" ? "Create an account" : "Confirm your e-mail address"}</PageHeading>
      {notice ? <Alert kind="info">{notice}</Alert> : null}
      {error ? <Alert kind="error">{error}</Alert> : null}
      {stage === "details" ? (
        <form onSubmit={register}>
          <Field id="sign-up-email" label="E-mail address">
            <input
              id="sign-up-email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onInput={(event) => setEmail(event.currentTarget.value)}
            />
          </Field>
          <Field
            id="sign-up-password"
            label="Password"
            hint="At least 12 characters, with upper- and lower-case letters and a digit."
          >
            <input
              id="sign-up-password"
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              aria-describedby="sign-up-password-hint"
              value={password}
              onInput={(event) => setPassword(event.currentTarget.value)}
            />
          </Field>
          <button type="submit" disabled={busy}>
            {busy ? "Creating your account…" : "Create account"}
          </button>
        </form>
      ) : (
        <form onSubmit={confirm}>
          <Field
            id="confirmation-code"
            label="Confirmation code"
            hint="Six digits, from the e-mail we sent you."
          >
            <input
              id="confirmation-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              required
              aria-describedby="confirmation-code-hint"
              value={code}
              onInput={(event) => setCode(event.currentTarget.value)}
            />
          </Field>
          <div class="actions">
            <button type="submit" disabled={busy}>
              Confirm
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={resend}>
              Send a new code
            </button>
          </div>
        </form>
      )}
      <p>
        Already have an account? <a href="#/sign-in">Sign in</a>
      </p>
    </section>
  );
}
