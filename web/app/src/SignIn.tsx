import { useState } from "preact/hooks";

import type { AppConfig } from "./config";
import { CognitoError, signIn, type Tokens } from "./cognito";
import { Alert, Field, PageHeading, errorText } from "./ui";

interface Props {
  config: AppConfig;
  notice: string | null;
  onSignedIn: (tokens: Tokens) => void;
  onNeedsConfirmation: (email: string) => void;
}

export function SignIn({ config, notice, onSignedIn, onNeedsConfirmation }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(config, email.trim(), password));
    } catch (caught) {
      if (caught instanceof CognitoError && caught.type === "UserNotConfirmedException") {
        onNeedsConfirmation(email.trim());
        return;
      }
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel narrow">
      <PageHeading>Sign in</PageHeading>
      {notice ? <Alert kind="info">{notice}</Alert> : null}
      {error ? <Alert kind="error">{error}</Alert> : null}
      <form onSubmit={submit}>
        <Field id="sign-in-email" label="E-mail address">
          <input
            id="sign-in-email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onInput={(event) => setEmail(event.currentTarget.value)}
          />
        </Field>
        <Field id="sign-in-password" label="Password">
          <input
            id="sign-in-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p>
        New here? <a href="#/sign-up">Create an account</a>
      </p>
    </section>
  );
}
