// The one translation of STK ResultCodes (callback and STK Query) into our vocabulary
// (docs/daraja.md#result-codes). Keyed on the code alone: ResultDesc wording drifts between
// sandbox, production and years (docs/daraja.md#result-codes, #stk-callback-body), so it is kept
// for people and never read here.
import { formatKes, MAX_STK_AMOUNT_KES } from "../../lib/money";

export type StkOutcome = "paid" | "cancelled" | "expired" | "failed" | "pending";

export type StkResult = {
  /** The code as text: callbacks send numbers, STK Query strings, some codes are alphanumeric. */
  code: string;
  outcome: StkOutcome;
  final: boolean;
  known: boolean;
  /** Plain English a support agent can read to the customer or act on. */
  reason: string;
};

type Entry = [outcome: StkOutcome, reason: string];

const CATALOGUE: Record<string, Entry> = {
  // "Paid" still needs a receipt number and the right amount; the apply step checks those.
  "0": ["paid", "The customer paid"],
  "1": ["failed", "Not enough money in the customer's M-Pesa (or Fuliza)"],
  "2": ["failed", "The amount is below the M-Pesa minimum"],
  "3": [
    "failed",
    `The amount is above the M-Pesa maximum of ${formatKes(MAX_STK_AMOUNT_KES)} per payment`,
  ],
  "4": ["failed", "The customer would go over their daily M-Pesa limit"],
  "8": ["failed", "Our M-Pesa account is at its maximum balance; an admin must move money out"],
  "17": ["failed", "Same amount to the same phone within 2 minutes — wait and retry"],
  "26": ["failed", "M-Pesa was busy; try again in a few minutes"],
  "1001": [
    "failed",
    "The customer already had an M-Pesa prompt or menu open; wait a minute and retry",
  ],
  "1019": ["expired", "The prompt expired before the customer finished"],
  "1025": [
    "failed",
    "M-Pesa could not send the prompt (the account reference may be too long); retry",
  ],
  // 1031 appears only in one SDK's enum; it is read the same as 1032.
  "1031": ["cancelled", "The customer cancelled the prompt"],
  // 1032 is also what some handsets report when the prompt times out unanswered.
  "1032": ["cancelled", "The customer cancelled the prompt"],
  "1036": ["failed", "M-Pesa could not deliver the prompt to the phone; retry"],
  "1037": ["expired", "The customer's phone could not be reached, or they did not answer in time"],
  "2001": ["failed", "Wrong M-Pesa PIN entered"],
  "2028": [
    "failed",
    "Our till/paybill settings do not allow this payment type; an admin must check the M-Pesa settings",
  ],
  "8006": [
    "failed",
    "The customer's M-Pesa PIN is locked; they must contact Safaricom to unlock it",
  ],
  "9999": ["failed", "M-Pesa had an error sending the prompt; try again later"],
  SFC_IC0003: [
    "failed",
    "Our till/paybill settings are wrong (M-Pesa does not know the operator); an admin must check them",
  ],
  // Seen on STK Query in the sandbox when the phone is not a Safaricom test number.
  E3008: [
    "failed",
    "The sandbox refused this phone; only Safaricom test numbers work in the sandbox",
  ],
  // STK Query's 2026 way of saying "no answer yet": keep polling.
  "4999": ["pending", "M-Pesa is still processing the payment"],
};

export const KNOWN_STK_RESULT_CODES: readonly string[] = Object.keys(CATALOGUE);

export function classifyStkResult(code: unknown): StkResult {
  const text = code == null ? "" : String(code).trim();
  if (text === "")
    return {
      code: text,
      outcome: "failed",
      final: true,
      known: false,
      reason: "M-Pesa sent no result code",
    };
  const entry = Object.hasOwn(CATALOGUE, text) ? CATALOGUE[text] : undefined;
  // Unknown codes count as failed, but callers keep the payment open to later evidence of payment
  // (C2B confirmation, statement) — docs/daraja.md#result-codes FAILED_UNKNOWN_CODE.
  if (!entry)
    return {
      code: text,
      outcome: "failed",
      final: true,
      known: false,
      reason: `Unrecognised M-Pesa result code ${text}`,
    };
  const [outcome, reason] = entry;
  return { code: text, outcome, final: outcome !== "pending", known: true, reason };
}
