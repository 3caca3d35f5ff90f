// Structured logs (pino). Phone numbers and secrets never reach a log line: known secret fields are
// redacted by path, an error (under `err` or `error`) is written as describeError writes it (a failed
// query's parameters cut, every number masked), and `maskForLog` hides an MSISDN's middle digits
// where we log one on purpose.
import pino, { type Logger } from "pino";
import { cleanForLog, describeError, withCauses } from "./error-log.server";
import { redactDeep } from "./msisdn";

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
 * What a log line says of an error. An Error: pino's own view of it (its type and the fields it
 * carries: a Daraja error's endpoint and status, PostgreSQL's constraint and table…) with the failed
 * query's parameters left out and the message and stack as describeError writes them (causes named in
 * the message, as pino does). Text is cleaned the same way; anything else (an error already described,
 * `{ type, message }`) keeps its shape. Every phone number in any of it is masked.
 */
export function errorForLog(value: unknown): unknown {
  if (value instanceof Error) {
    const {
      params: _params,
      parameters: _parameters,
      cause: _cause,
      message: _message,
      stack: _stack,
      ...fields
    } = pino.stdSerializers.err(value) as unknown as Record<string, unknown>;
    const described = describeError(value);
    const cleaned = Object.fromEntries(
      Object.entries(fields).map(([k, v]) => [k, typeof v === "string" ? cleanForLog(v) : v]),
    );
    return redactDeep({ ...cleaned, ...described, message: withCauses(described) });
  }
  if (typeof value === "string") return cleanForLog(value);
  return redactDeep(value);
}
