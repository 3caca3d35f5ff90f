// Structured logs (pino). Phone numbers and secrets never reach a log line: known secret fields are
// redacted by path, and `maskForLog` hides an MSISDN's middle digits where we log one on purpose.
import pino, { type Logger } from "pino";

export type Log = Logger;

export function createLog(level: string, destination?: pino.DestinationStream): Log {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [
          "password",
          "*.password",
          "Password",
          "*.Password",
          "passkey",
          "*.passkey",
          "secret",
          "*.secret",
          "authorization",
          "*.authorization",
          "headers.authorization",
          "headers.cookie",
          "cookie",
          "*.cookie",
          "access_token",
          "*.access_token",
          "accessToken",
          "*.accessToken",
          "apiKey",
          "*.apiKey",
          "phone",
          "*.phone",
          "PhoneNumber",
          "*.PhoneNumber",
          "PartyA",
          "*.PartyA",
          "msisdn",
          "*.msisdn",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

/** `2547••••5678`: enough to tell numbers apart in a log, not enough to call anyone. */
export function maskForLog(text: string): string {
  return text.replace(/(254|0)(\d)\d{4}(\d{4})/g, "$1$2••••$3");
}
