// The form fields each exception action takes. Pure (zod only), so the console forms and the domain
// read the same names; every action carries a note because every resolution is read later by people.
import { z } from "zod";
import { parseWith } from "../../lib/validation";
import { BULK_ACTIONS, EXCEPTION_ACTIONS, type ExceptionAction } from "./actions";
import { UUID } from "../../lib/uuid";

const note = z
  .string({ message: "Write a note saying why." })
  .trim()
  .min(3, "Write a note saying why (a few words at least).")
  .max(2000, "Keep the note under 2,000 characters.");

// M-Pesa transaction IDs (receipts and reversals alike) are 10 letters and digits, e.g. TCE4XK2P7Q.
const transactionId = (what: string) =>
  z
    .string({ message: `Enter the ${what}.` })
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{10}$/, `The ${what} is 10 letters and digits, like TCE4XK2P7Q.`);

const noteOnly = z.object({ note });

export const RESOLVE_SCHEMAS = {
  accept_paid: noteOnly,
  mark_refunded: z.object({
    note,
    reversalRef: transactionId("reversal's transaction ID from the M-Pesa portal"),
  }),
  write_off: noteOnly,
  link_to_payment: z.object({
    note,
    paymentRef: z
      .string({ message: "Enter the payment's id or order reference." })
      .trim()
      .min(1, "Enter the payment's id or order reference.")
      .max(100),
  }),
  not_ours: noteOnly,
  requery: noteOnly,
  choose_outcome: z.object({
    note,
    outcome: z.enum(["paid", "failed"], { message: "Choose paid or failed." }),
  }),
  mark_expired: noteOnly,
  mark_paid_offline: z.object({ note, receipt: transactionId("M-Pesa receipt number") }),
  acknowledge: noteOnly,
  approve: noteOnly,
  reject: noteOnly,
  reopen: noteOnly,
} satisfies Record<ExceptionAction, z.ZodType>;

export type ResolveInput = {
  [A in ExceptionAction]: { intent: A } & z.output<(typeof RESOLVE_SCHEMAS)[A]>;
}[ExceptionAction];

export const IntentSchema = z.object({
  intent: z.enum(EXCEPTION_ACTIONS, { message: "Choose an action." }),
});

/** The most cases one bulk decision may touch (one transaction; one page of preview). */
export const BULK_LIMIT = 500;

/** Case ids as the bulk forms carry them: comma-separated, each a UUID, no repeats. */
export const CaseIdsSchema = z
  .string({ message: "Choose the cases first." })
  .transform((v) =>
    v
      .split(",")
      .map((id) => id.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(UUID, "A case id is not valid; preview again."))
      .min(1, "Choose at least one case.")
      .max(BULK_LIMIT, `A bulk action takes at most ${BULK_LIMIT} cases; narrow the filters.`)
      .refine((ids) => new Set(ids).size === ids.length, "A case is listed twice; preview again."),
  );

/** Applying a previewed bulk action: the action, one note, and exactly the previewed cases. */
export const BulkApplySchema = z.object({
  action: z.enum(BULK_ACTIONS, { message: "Choose an action that fits every case." }),
  note,
  cases: CaseIdsSchema,
  fingerprint: z
    .string({ message: "The preview is missing; preview again." })
    .regex(/^[0-9a-f]{64}$/, "The preview is not valid; preview again."),
});
export type BulkApplyInput = z.output<typeof BulkApplySchema>;

/** The action's form fields (or any JSON-like object) → the typed input `resolveException` takes. */
export function parseResolveInput(raw: unknown): ResolveInput {
  const { intent } = parseWith(IntentSchema, raw);
  return { intent, ...parseWith(RESOLVE_SCHEMAS[intent], raw) } as ResolveInput;
}
