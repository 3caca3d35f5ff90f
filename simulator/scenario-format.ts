// The scenario file format (simulator/scenarios/*.json, `npm run simulator -- --scenario FILE`,
// `POST /__sim/scenarios`): what the app is asked to do (`payment`), what Daraja then does
// (`script`: the push answer, the truth, each callback, each query answer, C2B confirmations), and
// what a correct app ends with (`expect`). A script is keyed by the payment's phone, so scenarios on
// different numbers replay side by side without touching each other. See simulator/README.md.
import { z } from "zod";
import { PHONE_FORMS } from "./phone-forms";

const ms = z.number().int().min(0).max(600_000);
const msisdn = z.string().regex(/^254[17]\d{8}$/, "expected 2547XXXXXXXX or 2541XXXXXXXX");

/** A ResultCode and text, or a name from RESULTS; "final" means the script's own result. */
const ResultRef = z.union([
  z.enum([
    "final",
    "paid",
    "cancelled",
    "unreachable",
    "no_response",
    "insufficient_funds",
    "wrong_pin",
  ]),
  z.strictObject({ code: z.number().int().min(0), desc: z.string() }),
]);

export const ScriptedCallbackSchema = z.strictObject({
  /** Sent this long after the push (callbacks go out in the order listed, each after the last). */
  atMs: ms,
  result: ResultRef.default("final"),
  phone: z.enum(PHONE_FORMS).optional(),
  transactionDate: z.enum(["number", "string", "absent"]).optional(),
  amount: z.enum(["number", "string"]).optional(),
  /** Added to the amount actually paid, for a callback that disagrees with the payment. */
  amountDelta: z.number().int().optional(),
  itemOrder: z.enum(["documented", "reversed"]).optional(),
  /** 2 = delivered twice (a duplicate). */
  copies: z.number().int().min(1).max(10).default(1),
  /** Never sent (documents a lost callback; counted as dropped). */
  lost: z.boolean().default(false),
});

export const SCRIPTED_QUERY_ANSWERS = [
  "final",
  "being_processed",
  "4999",
  "invalid_checkout_request",
  "not_found",
  "spike_arrest",
  "http_429",
  "html_200",
] as const;

export const ScenarioScriptSchema = z.strictObject({
  /**
   * accepted: the usual JSON answer; html_200: HTTP 200 with a gateway HTML page, the prompt still
   * reaches the phone; html_200_no_prompt: the same page, and nothing reached M-Pesa; busy: 500.003.02.
   */
  push: z.enum(["accepted", "html_200", "html_200_no_prompt", "busy"]).default("accepted"),
  /** The truth STK Query reports once settled; null = never settles. */
  result: ResultRef.nullable().default("paid"),
  /** What the customer actually paid, when it differs from the request. */
  amountPaid: z.number().int().min(1).optional(),
  /** When the truth is known to STK Query (and a "final" callback carries it). Default 300 ms. */
  settleMs: ms.default(300),
  callbacks: z.array(ScriptedCallbackSchema).default([]),
  /** STK Query answers, one per query in order; afterwards the truth (or "being processed"). */
  queries: z.array(z.enum(SCRIPTED_QUERY_ANSWERS)).default([]),
  c2b: z
    .array(
      z.strictObject({
        atMs: ms,
        /** Defaults to the amount paid. */
        amount: z.number().int().min(1).optional(),
        /** Defaults to the push's AccountReference. */
        billRefNumber: z.string().optional(),
        msisdn: z
          .enum(["plain", "masked", "hashed", "masked_tail", "masked_middle", "absent"])
          .default("plain"),
      }),
    )
    .default([]),
});

export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/, "lower-case letters, digits and dashes"),
  title: z.string().min(1),
  description: z.string().optional(),
  /** What the app is asked to collect. The phone must be unique among scenarios run together. */
  payment: z.strictObject({ phone: msisdn, amount: z.number().int().min(1).max(250_000) }),
  script: ScenarioScriptSchema,
  /** What a correct app shows afterwards (read through its JSON API). */
  expect: z.strictObject({
    status: z.enum([
      "initiating",
      "pending",
      "paid",
      "failed",
      "cancelled",
      "expired",
      "unknown",
      "refunded",
    ]),
    /** Exception types open for the payment, as a set (empty = none). */
    exceptions: z.array(z.string()).default([]),
    /** A receipt is recorded on the payment. */
    receipt: z.boolean().optional(),
    /** How long the app may take, in seconds (pollers are slow on purpose). Default 30. */
    withinS: z.number().int().min(1).max(900).default(30),
    /** Needs the app's C2B URLs registered with the simulator. */
    needsC2b: z.boolean().default(false),
  }),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioScript = z.output<typeof ScenarioScriptSchema>;
export type ScriptedCallback = z.output<typeof ScriptedCallbackSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** Parses a scenario file's JSON text; the error names the file's first problem. */
export function parseScenario(
  text: string,
  source = "scenario",
): { ok: true; scenario: Scenario } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `${source}: not JSON (${(error as Error).message})` };
  }
  const parsed = ScenarioSchema.safeParse(json);
  if (parsed.success) return { ok: true, scenario: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `${source}: ${issue.path.join(".") || "body"}: ${issue.message}` };
}
