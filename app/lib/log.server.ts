// Structured logs (pino). Phone numbers and secrets never reach a log line: known secret fields are
// redacted by path, an error (under `err` or `error`) is written as describeError writes it (a failed
// query's parameters cut, every number masked), and `maskForLog` hides an MSISDN's middle digits
// where we log one on purpose.
import pino, { type Logger } from "pino";
import { cleanForLog, describeError } from "./error-log.server";
import { maskPhonesInText } from "./msisdn";

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
      serializers: { err: errorForLog, error: errorForLog },
    },
    destination,
  );
}

/** `2547••••5678`: enough to tell numbers apart in a log, not enough to call anyone. */
export function maskForLog(text: string): string {
  return text.replace(/(254|0)(\d)\d{4}(\d{4})/g, "$1$2••••$3");
}

/**
 * What a log line says of an error: an Error as describeError gives it; text cleaned the same way; any
 * other value (an error already described, `{ type, message }`) with its numbers masked.
 */
export function errorForLog(value: unknown): unknown {
  if (value instanceof Error) {
    // The message names its causes too ("Failed query: …: disk full"), as pino's own serializer does.
    const described = describeError(value);
    let message = described.message;
    for (let c = described.cause; c; c = c.cause) message += `: ${c.message}`;
    return { ...described, message };
  }
  if (typeof value === "string") return cleanForLog(value);
  if (value === null || typeof value !== "object") return value;
  try {
    // The bullets and spaces masking writes never break the JSON text they are written into.
    return JSON.parse(maskPhonesInText(JSON.stringify(value))) as unknown;
  } catch {
    return "[an error that could not be written]";
  }
}
