// Inputs of the control API, checked with zod so a typo in a test fails loudly instead of
// silently configuring nothing (unknown keys are rejected).
import { z } from "zod";
import { OUTCOME_NAMES } from "./outcomes";

const ms = z.number().int().min(0);
const msisdn = z.string().regex(/^254[17]\d{8}$/, "expected 2547XXXXXXXX or 2541XXXXXXXX");

export const ConfigSchema = z.strictObject({
  latencyMs: ms.optional(),
  lateDelayMs: ms.nullable().optional(),
  promptTimeoutMs: ms.optional(),
  tokenTtlSeconds: z.number().int().min(1).optional(),
  hangMs: ms.optional(),
  callbackTimeoutMs: ms.optional(),
  enforceSubscriberLock: z.boolean().optional(),
  enforceRuleLimit: z.boolean().optional(),
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

export const NextQuerySchema = z.strictObject({
  response: z.enum(["spike_arrest", "quota", "http_429", "not_found", "pending"]),
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
  msisdnFormat: z.enum(["plain", "masked", "hashed"]).optional(),
  shortCode: z
    .string()
    .regex(/^\d{5,7}$/)
    .optional(),
  firstName: z.string().optional(),
});
