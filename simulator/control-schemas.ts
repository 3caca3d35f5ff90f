// Inputs of the control API, checked with zod so a typo in a test fails loudly instead of
// silently configuring nothing (unknown keys are rejected).
import { z } from "zod";
import { OUTCOME_NAMES } from "./outcomes";
import { PHONE_FORMS } from "./phone-forms";
import { ScenarioSchema } from "./scenario-format";
import { INITIATOR_OUTCOMES } from "./state";

const ms = z.number().int().min(0);
const msisdn = z.string().regex(/^254[17]\d{8}$/, "expected 2547XXXXXXXX or 2541XXXXXXXX");
const phoneForm = z.enum(PHONE_FORMS);

export const QueryBudgetSchema = z.strictObject({
  limit: z.number().int().min(1),
  windowMs: z.number().int().min(1),
  burst: z.number().int().min(1).default(1),
});

export const CallbackShapeSchema = z.strictObject({
  amount: z.enum(["number", "string"]).optional(),
  transactionDate: z.enum(["number", "string", "absent"]).optional(),
  phone: z.enum(["number", "string"]).optional(),
  itemOrder: z.enum(["documented", "reversed"]).optional(),
});

export const ConfigSchema = z.strictObject({
  latencyMs: ms.optional(),
  lateDelayMs: ms.nullable().optional(),
  promptTimeoutMs: ms.optional(),
  tokenTtlSeconds: z.number().int().min(1).optional(),
  hangMs: ms.optional(),
  callbackTimeoutMs: ms.optional(),
  enforceSubscriberLock: z.boolean().optional(),
  enforceRuleLimit: z.boolean().optional(),
  phoneForm: phoneForm.optional(),
  /** Merged into the current map; a null value removes that number's override. */
  phoneFormByNumber: z.record(msisdn, phoneForm.nullable()).optional(),
  earlyQueryMs: ms.optional(),
  queryBudget: QueryBudgetSchema.nullable().optional(),
  /** Merged into the current shape. */
  callbackShape: CallbackShapeSchema.optional(),
  clock: z
    .strictObject({
      now: z.iso.datetime({ offset: true }).nullable().optional(),
      offsetMs: z.number().int().optional(),
    })
    .nullable()
    .optional(),
});

export const ResetSchema = z.strictObject({ config: z.boolean().optional() });

export const NextOutcomeSchema = z.strictObject({ outcome: z.enum(OUTCOME_NAMES) });

export const NextCallbackSchema = z.strictObject({ action: z.enum(["drop", "duplicate"]) });

export const QUERY_OVERRIDES = [
  "spike_arrest",
  "quota",
  "http_429",
  "not_found",
  "pending",
  "pending_4999",
  "invalid_checkout_request",
  "html_200",
] as const;

export const NextQuerySchema = z.strictObject({
  response: z.enum(QUERY_OVERRIDES),
  times: z.number().int().min(1).max(10_000).optional(),
});

export const NextPushSchema = z.strictObject({
  response: z.enum(["html_200"]),
  /** Whether the push still reached M-Pesa (a prompt opens and runs its outcome). Default true. */
  prompt: z.boolean().optional(),
  times: z.number().int().min(1).max(10_000).optional(),
});

export const TransactionsSchema = z.strictObject({
  count: z.number().int().min(1).max(100_000),
  outcome: z
    .enum(OUTCOME_NAMES)
    .refine((o) => o !== "busy", "a busy push never creates a transaction"),
  amount: z.number().int().min(1).max(250_000).optional(),
  phone: msisdn.optional(),
  pendingMs: ms.optional(),
});

export const HandsetPaySchema = z.strictObject({ pin: z.string() });

export const C2bConfirmSchema = z.strictObject({
  transId: z.string().min(1).optional(),
  amount: z.number().positive(),
  billRefNumber: z.string(),
  msisdn: msisdn.optional(),
  msisdnFormat: z
    .enum(["plain", "masked", "hashed", "masked_tail", "masked_middle", "absent"])
    .optional(),
  shortCode: z
    .string()
    .regex(/^\d{5,7}$/)
    .optional(),
  firstName: z.string().optional(),
});

export const ArmScenariosSchema = z.strictObject({
  scenario: ScenarioSchema.optional(),
  scenarios: z.array(ScenarioSchema).optional(),
  /** Names from the simulator's scenario library (simulator/scenarios/). */
  names: z.array(z.string()).optional(),
  all: z.boolean().optional(),
});

/** POST /__sim/next-initiator-result: the next Transaction Status / Reversal / Balance outcome(s). */
export const NextInitiatorResultSchema = z.strictObject({
  api: z.enum(["status", "reversal", "balance"]),
  outcome: z.enum(INITIATOR_OUTCOMES),
  times: z.number().int().min(1).max(100).optional(),
});
