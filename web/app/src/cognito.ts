// The user pool's public operations, called as the AWS SDK calls them (JSON over HTTPS, X-Amz-Target).
// USER_PASSWORD_AUTH: the app client allows it, and it needs no SRP library in the page (web/README.md).

import type { AppConfig } from "./config";

export interface Tokens {
  idToken: string;
  expiresAt: number;
  /** What the ID token says about its holder (display only: AppSync verifies the token itself). */
  email: string;
  sub: string;
}

export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const MESSAGES: Record<string, string> = {
  NotAuthorizedException: "Incorrect e-mail address or password.",
  UserNotFoundException: "Incorrect e-mail address or password.",
  UserNotConfirmedException: "Confirm your e-mail address first: enter the code we sent you.",
  UsernameExistsException: "An account with this e-mail address already exists. Sign in instead.",
  InvalidPasswordException:
    "Choose a password of at least 12 characters with upper- and lower-case letters and a digit.",
  CodeMismatchException: "That code is not the one we sent. Check it and try again.",
  ExpiredCodeException: "That code has expired. Ask for a new one.",
  LimitExceededException: "Too many attempts. Ask for a new code, or wait and try again.",
  TooManyRequestsException: "Too many attempts. Wait a moment and try again.",
};

async function call(
  config: AppConfig,
  operation: string,
  parameters: object,
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(config.cognitoUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify({ ClientId: config.userPoolClientId, ...parameters }),
    });
  } catch {
    throw new CognitoError("NetworkError", "The sign-in service cannot be reached. Try again.");
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const type =
      String(body["__type"] ?? "Error")
        .split("#")
        .pop() ?? "Error";
    throw new CognitoError(type, MESSAGES[type] ?? String(body["message"] ?? "Something went wrong."));
  }
  return body;
}

export async function signUp(config: AppConfig, email: string, password: string): Promise<boolean> {
  const result = await call(config, "SignUp", {
    Username: email,
    Password: password,
    UserAttributes: [{ Name: "email", Value: email }],
  });
  return result["UserConfirmed"] === true;
}

export async function confirmSignUp(config: AppConfig, email: string, code: string): Promise<void> {
  await call(config, "ConfirmSignUp", { Username: email, ConfirmationCode: code });
}

export async function resendCode(config: AppConfig, email: string): Promise<void> {
  await call(config, "ResendConfirmationCode", { Username: email });
}

export async function signIn(config: AppConfig, email: string, password: string): Promise<Tokens> {
  const result = await call(config, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  const authentication = result["AuthenticationResult"] as Record<string, unknown> | undefined;
  const idToken = authentication?.["IdToken"];
  if (typeof idToken !== "string") {
    // A challenge (a new password, MFA) this app does not handle.
    throw new CognitoError(
      String(result["ChallengeName"] ?? "NoTokens"),
      "This account needs a sign-in step the app does not offer.",
    );
  }
  const claims = readClaims(idToken);
  return {
    idToken,
    expiresAt: Number(claims["exp"] ?? 0) * 1000,
    email: String(claims["email"] ?? email),
    sub: String(claims["sub"] ?? ""),
  };
}

function readClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const json = atob(
    payload
      .replace(/-/g, "+")
      .replace(/_/g, "/")
      .padEnd(Math.ceil(payload.length / 4) * 4, "="),
  );
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<
    string,
    unknown
  >;
}
