// What an unexpected error may put in a log line. Drizzle's errors carry the query's parameters in
// their message ("Failed query: … params: 254712345678,…") and PostgreSQL's `detail` quotes values
// ("Key (phone)=(2547…)"), so parameters are cut, every phone number is masked, and a request is
// named by its method and path only (queries carry phone= searches, hook paths carry the token).
import { maskPhonesInText } from "./msisdn";
import { pathForLog } from "./security-headers.server";

type Described = {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: Described;
};

/**
 * Text as a log line may carry it: a failed query's parameters cut, every phone number masked, and a
 * hook URL quoted anywhere in it (Node's URL errors carry the whole `input`) cut before its token.
 */
export function cleanForLog(text: string): string {
  return maskPhonesInText(
    text
      .replace(/\n?\s*params:[\s\S]*$/i, " [params omitted]")
      .replace(/\/hooks(?:\/[^\s"'<>]*)?/gi, (path) => pathForLog(path)),
  );
}

const clean = cleanForLog;

export function describeError(error: unknown, depth = 0): Described {
  if (!(error instanceof Error)) return { name: "NonError", message: clean(String(error)) };
  const frames = (error.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 12)
    .join("\n");
  const code = (error as { code?: unknown }).code;
  const detail = (error as { detail?: unknown }).detail;
  return {
    name: error.name,
    message: clean(error.message) + (typeof detail === "string" ? ` (${clean(detail)})` : ""),
    ...(typeof code === "string" ? { code } : {}),
    ...(frames ? { stack: frames } : {}),
    ...(error.cause !== undefined && depth < 2
      ? { cause: describeError(error.cause, depth + 1) }
      : {}),
  };
}

export function requestForLog(request: Request): { method: string; path: string } {
  return { method: request.method, path: pathForLog(new URL(request.url).pathname) };
}

/** A described error's message followed by its causes' ("Failed query: …: disk full"). */
export function withCauses(described: Described): string {
  let text = described.message;
  for (let c = described.cause; c; c = c.cause) text += `: ${c.message}`;
  return text;
}

/** One line for a person: the message and its causes, cleaned as a log line is. */
export function errorText(error: unknown): string {
  return withCauses(describeError(error));
}
