// Zod failures become one AppError naming the first bad field in words a person can act on; and the
// zod fields more than one schema shares (the amount rule of lib/money.ts).
import { z } from "zod";
import { AppError } from "./app-error";
import { AMOUNT_MESSAGES, parseAmountJson, parseAmountText } from "./money";

export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") || undefined;
  throw new AppError("invalid_request", issue?.message ?? "The request is not valid.", {
    status: 400,
    field,
  });
}

/** A list's page size from the query string: `limit=1…max`, `fallback` when absent. */
export function pageLimit(max: number, fallback: number) {
  const message = `limit must be a whole number from 1 to ${max}.`;
  return z.coerce
    .number({ message })
    .int(message)
    .min(1, message)
    .max(max, message)
    .default(fallback);
}

/** Whole shillings, read by the one rule for its way in: "form" (text a person typed) or "json". */
export function kesAmount(way: "form" | "json") {
  return z.unknown().transform((value, ctx) => {
    const parsed =
      way === "json"
        ? parseAmountJson(value)
        : typeof value === "string" && value.trim()
          ? parseAmountText(value)
          : ({ ok: false, reason: AMOUNT_MESSAGES.missing } as const);
    if (parsed.ok) return parsed.kes;
    ctx.addIssue({ code: "custom", message: parsed.reason });
    return z.NEVER;
  });
}

/** A form post's text fields through a schema (files are left out; upload routes read those). */
export function parseForm<S extends z.ZodType>(schema: S, form: FormData): z.infer<S> {
  const fields = Object.fromEntries([...form].filter(([, v]) => typeof v === "string"));
  return parseWith(schema, fields);
}

/**
 * Text fields through a schema, every bad field named at once (a form shows each next to its input):
 * the AppError's `field`/message are the first, `fields` all of them (first message per field).
 */
export function parseFormFields<S extends z.ZodType>(
  schema: S,
  values: Record<string, string>,
): z.infer<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues)
    fields[issue.path.map(String).join(".")] ??= issue.message;
  const [field, message] = Object.entries(fields)[0] ?? [undefined, "The form is not valid."];
  throw new AppError("invalid_request", message, { status: 400, field, fields });
}

/** A URL's query string through a schema (a repeated name keeps its first value). */
export function parseQuery<S extends z.ZodType>(schema: S, from: Request | URL): z.infer<S> {
  const url = from instanceof URL ? from : new URL(from.url);
  const params: Record<string, string> = {};
  for (const [name, value] of url.searchParams) params[name] ??= value;
  return parseWith(schema, params);
}

/**
 * A schema's parsed value with the fields it defaults left optional: what a domain function takes, so
 * a route passes what its parser returned and other code (a job, an export, a test) may leave the
 * defaults out. The domain function fills them from the same constants the schema uses.
 */
export type WithDefaults<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
