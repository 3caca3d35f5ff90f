// The pure rules for what a piece of evidence about an STK attempt does
// (docs/daraja.md#result-codes, #stk-query, #callback-delivery):
// statuses only move forward; a later contrary witness opens an exception instead of flipping a
// status; only ResultCode 0 with a receipt and the requested amount makes a payment paid.
import type { AttemptStatus, ExceptionType, PaymentStatus } from "../../../db/schema";
import type { StkOutcome } from "../daraja/result-codes";
import { formatKes } from "../../lib/money";

export type FinalOutcome = Exclude<StkOutcome, "pending">;

export type Evidence = {
  source: "callback" | "query";
  outcome: FinalOutcome;
  resultCode: string;
  receipt: string | null;
  amountKes: number | null;
};

export type AttemptState = {
  status: AttemptStatus;
  resultCode: string | null;
  receipt: string | null;
  amountKes: number;
  isLatest: boolean; // the payment's newest attempt speaks for the payment
};

export type PaymentState = {
  status: PaymentStatus;
  receipt: string | null;
  receiptPending: boolean;
};

/** Who already owns the receipt this evidence names (one receipt is one sum of money). */
export type ReceiptOwner = "none" | "this_attempt" | "unassigned" | "other_payment";

export type Decision = {
  /** What the raw callback log records for this evidence. */
  outcome: "applied" | "duplicate" | "conflict";
  attemptStatus?: AttemptStatus;
  paymentStatus?: PaymentStatus;
  /** Attach the receipt to this payment (and make it the payment's receipt when paid). */
  claimReceipt?: boolean;
  /** Query-only success: paid, but the receipt is still to come by callback, C2B or statement. */
  receiptPending?: boolean;
  exception?: ExceptionType;
  summary: string;
};

const OPEN_ATTEMPT: AttemptStatus[] = ["initiating", "pending", "unknown"];
const CLOSED_UNPAID: PaymentStatus[] = ["failed", "cancelled", "expired", "unknown"];

export function isOpenPayment(status: PaymentStatus): boolean {
  return status === "initiating" || status === "pending";
}

export function decide(
  attempt: AttemptState,
  payment: PaymentState,
  evidence: Evidence,
  receiptOwner: ReceiptOwner,
): Decision {
  const success = evidence.outcome === "paid";
  if (success && evidence.source === "callback" && !evidence.receipt) {
    // ResultCode 0 without a receipt is not proof of payment; a person must look.
    return {
      outcome: "conflict",
      exception: "conflicting_callback",
      summary: "Success callback without a receipt number",
    };
  }

  // The attempt already has a final answer: the evidence either repeats it or contradicts it.
  if (!OPEN_ATTEMPT.includes(attempt.status) || attempt.resultCode !== null) {
    return decideOnFinalAttempt(attempt, payment, evidence, receiptOwner);
  }

  if (!success) {
    const paymentSpeaks = attempt.isLatest && isOpenPayment(payment.status);
    const refine = attempt.isLatest && payment.status === "unknown"; // a definite failure settles "unknown"
    return {
      outcome: "applied",
      attemptStatus: evidence.outcome,
      paymentStatus: paymentSpeaks || refine ? evidence.outcome : undefined,
      summary: `Attempt ${evidence.outcome} (ResultCode ${evidence.resultCode})`,
    };
  }

  if (evidence.receipt && receiptOwner === "other_payment") {
    return {
      outcome: "conflict",
      exception: "duplicate_receipt",
      summary: `Receipt ${evidence.receipt} already belongs to another payment`,
    };
  }
  if (evidence.amountKes !== null && evidence.amountKes !== attempt.amountKes) {
    return {
      outcome: "applied",
      attemptStatus: "paid",
      paymentStatus: isOpenPayment(payment.status) ? "unknown" : undefined,
      claimReceipt: true,
      exception: "amount_mismatch",
      summary: `Paid ${formatKes(evidence.amountKes)} but ${formatKes(attempt.amountKes)} was requested`,
    };
  }
  if (payment.status === "paid" || payment.status === "refunded") {
    return {
      outcome: "applied",
      attemptStatus: "paid",
      claimReceipt: true,
      exception: "double_payment",
      summary:
        "A second attempt of an already paid payment succeeded: the customer was charged twice",
    };
  }
  if (CLOSED_UNPAID.includes(payment.status)) {
    return {
      outcome: "conflict",
      attemptStatus: "paid",
      claimReceipt: true,
      exception: "late_success",
      summary: `The customer paid after the payment was marked ${payment.status}`,
    };
  }
  return {
    outcome: "applied",
    attemptStatus: "paid",
    paymentStatus: "paid",
    claimReceipt: !!evidence.receipt,
    receiptPending: !evidence.receipt,
    summary: evidence.receipt
      ? `Paid, receipt ${evidence.receipt}`
      : "Paid according to STK Query; receipt pending",
  };
}

function decideOnFinalAttempt(
  attempt: AttemptState,
  payment: PaymentState,
  evidence: Evidence,
  receiptOwner: ReceiptOwner,
): Decision {
  const success = evidence.outcome === "paid";
  const wasPaid = attempt.status === "paid";
  if (wasPaid && success) {
    if (!evidence.receipt || evidence.receipt === attempt.receipt)
      return { outcome: "duplicate", summary: "Repeats the recorded success" };
    if (!attempt.receipt) {
      // The query said paid; this callback brings the receipt we were waiting for.
      if (receiptOwner === "other_payment")
        return {
          outcome: "conflict",
          exception: "duplicate_receipt",
          summary: `Receipt ${evidence.receipt} already belongs to another payment`,
        };
      return {
        outcome: "applied",
        claimReceipt: true,
        summary: `Receipt ${evidence.receipt} arrived for a payment the query had confirmed`,
      };
    }
    return {
      outcome: "conflict",
      exception: "conflicting_callback",
      summary: `A second success with another receipt (${evidence.receipt}, recorded ${attempt.receipt})`,
    };
  }
  if (wasPaid && !success) {
    if (evidence.source === "query")
      return {
        outcome: "conflict",
        exception: "query_disagrees",
        summary: `STK Query answered ${evidence.resultCode} for an attempt already paid; the receipt stands`,
      };
    return {
      outcome: "conflict",
      exception: "conflicting_callback",
      summary: `A ${evidence.outcome} callback (ResultCode ${evidence.resultCode}) after the attempt was paid`,
    };
  }
  if (success) {
    if (evidence.receipt && receiptOwner === "other_payment")
      return {
        outcome: "conflict",
        exception: "duplicate_receipt",
        summary: `Receipt ${evidence.receipt} already belongs to another payment`,
      };
    // A success after a failure: the money exists, so the receipt is recorded, but the status stays
    // until finance decides (the customer may have been told the payment failed).
    const exception = payment.status === "paid" ? "double_payment" : "late_success";
    return {
      outcome: "conflict",
      claimReceipt: !!evidence.receipt,
      exception,
      summary: `A success arrived after the attempt was recorded as ${attempt.status}`,
    };
  }
  if (evidence.resultCode === attempt.resultCode)
    return { outcome: "duplicate", summary: "Repeats the recorded result" };
  if (evidence.source === "query")
    return {
      outcome: "duplicate",
      summary: `STK Query answered ${evidence.resultCode}; the attempt is already ${attempt.status}`,
    };
  return {
    outcome: "conflict",
    exception: "conflicting_callback",
    summary: `Result ${evidence.resultCode} after ${attempt.resultCode} for the same attempt`,
  };
}
