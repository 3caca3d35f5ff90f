// The pure rules for what a piece of evidence about an STK attempt does
// (docs/daraja.md#result-codes, #stk-query, #callback-delivery):
// statuses only move forward; a later contrary witness opens an exception instead of flipping a
// status; only ResultCode 0 with a receipt and the requested amount makes a payment paid.
import type { AttemptStatus, ExceptionType, PaymentStatus } from "../../../db/schema";
import type { StkOutcome } from "../daraja/result-codes";
import { formatKes } from "../../lib/money";

export type FinalOutcome = Exclude<StkOutcome, "pending">;

/** Attempt states whose outcome is still open: the poller asks STK Query about them (with a checkout id). */
export const OPEN_ATTEMPT_STATES: readonly AttemptStatus[] = ["pending", "initiating", "unknown"];

export type Evidence = {
  source: "callback" | "query";
  outcome: FinalOutcome;
  resultCode: string;
  receipt: string | null;
  amountKes: number | null;
  /** Why a callback's Amount could not be read (missing, text, fractional, …). */
  amountProblem?: string;
};

/** An M-Pesa receipt: ten upper-case letters and digits (docs/daraja.md, "Receipts"). */
export const RECEIPT_PATTERN = /^[A-Z0-9]{10}$/;

export function isWellFormedReceipt(receipt: string | null | undefined): boolean {
  return typeof receipt === "string" && RECEIPT_PATTERN.test(receipt);
}

/**
 * Why a success callback is not complete evidence of payment, or null when it is: it must carry a
 * well-formed receipt and exactly the requested whole-shilling amount. (An STK Query "0" carries
 * neither; it is evidence on its own terms, with the receipt still to come.)
 */
export function successEvidenceProblem(
  evidence: Pick<Evidence, "source" | "receipt" | "amountKes" | "amountProblem">,
  requestedKes: number,
): { exception: ExceptionType; summary: string } | null {
  if (evidence.source === "query") return null;
  if (!evidence.receipt)
    return {
      exception: "conflicting_callback",
      summary: "Success callback without a receipt number",
    };
  if (!isWellFormedReceipt(evidence.receipt))
    return {
      exception: "conflicting_callback",
      summary: `Success callback with a malformed receipt number (${JSON.stringify(evidence.receipt.slice(0, 40))})`,
    };
  if (evidence.amountKes === null)
    return {
      exception: "conflicting_callback",
      summary: `Success callback without a usable Amount (${evidence.amountProblem ?? "missing Amount"})`,
    };
  if (evidence.amountKes !== requestedKes)
    return {
      exception: "amount_mismatch",
      summary: `Paid ${formatKes(evidence.amountKes)} but ${formatKes(requestedKes)} was requested`,
    };
  return null;
}

export type AttemptState = {
  status: AttemptStatus;
  resultCode: string | null;
  receipt: string | null;
  amountKes: number;
  /** The amount recorded on the attempt's receipt (null without one). */
  receiptAmountKes: number | null;
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

/**
 * Every payment-status change the ledger allows, and nothing else. Statuses move forward; the only
 * ways back are a re-send (a closed, unpaid payment reopens as `initiating`), a receipt that later
 * contradicts a query-only "paid" (paid → unknown), and a refund.
 */
export const PAYMENT_TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  initiating: ["pending", "paid", "failed", "cancelled", "expired", "unknown"],
  pending: ["initiating", "paid", "failed", "cancelled", "expired", "unknown"],
  failed: ["initiating", "paid", "refunded"],
  cancelled: ["initiating", "paid", "refunded"],
  expired: ["initiating", "paid", "refunded"],
  // "unknown" may have been paid: it is settled by evidence or by finance, never re-sent blindly.
  unknown: ["paid", "failed", "cancelled", "expired", "refunded"],
  paid: ["refunded", "unknown"],
  refunded: [],
};

/**
 * What only a finance user's decision between conflicting witnesses may add: a paid payment whose
 * success finance judged wrong becomes the failure the other witness reported.
 */
export const FINANCE_OVERRIDES: Partial<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  paid: ["failed", "cancelled", "expired"],
};

export function canMovePayment(
  from: PaymentStatus,
  to: PaymentStatus,
  options: { financeDecision?: boolean } = {},
): boolean {
  if (PAYMENT_TRANSITIONS[from].includes(to)) return true;
  return !!options.financeDecision && !!FINANCE_OVERRIDES[from]?.includes(to);
}

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
  const problem = success ? successEvidenceProblem(evidence, attempt.amountKes) : null;

  // The attempt already has a final answer: the evidence either repeats it or contradicts it.
  if (!OPEN_ATTEMPT.includes(attempt.status) || attempt.resultCode !== null) {
    return decideOnFinalAttempt(attempt, payment, evidence, receiptOwner, problem);
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
  const speaks = attempt.isLatest && isOpenPayment(payment.status);
  if (problem?.exception === "amount_mismatch") {
    // Real money with a well-formed receipt, but not the sum we asked for: it stays on this payment
    // (the receipt is claimed) and a person decides; the payment is not paid.
    return {
      outcome: "conflict",
      attemptStatus: "paid",
      paymentStatus: speaks ? "unknown" : undefined,
      claimReceipt: true,
      exception: "amount_mismatch",
      summary: problem.summary,
    };
  }
  if (problem) {
    // Incomplete evidence moves no money: no receipt is claimed, the attempt stays open for STK
    // Query, and an open payment's outcome becomes unknown (the customer may have paid).
    return {
      outcome: "conflict",
      paymentStatus: speaks ? "unknown" : undefined,
      exception: problem.exception,
      summary: problem.summary,
    };
  }
  if (payment.status === "paid" || payment.status === "refunded") {
    return {
      outcome: "applied",
      attemptStatus: "paid",
      claimReceipt: !!evidence.receipt,
      exception: "double_payment",
      summary:
        "A second attempt of an already paid payment succeeded: the customer was charged twice",
    };
  }
  if (CLOSED_UNPAID.includes(payment.status)) {
    return {
      outcome: "conflict",
      attemptStatus: "paid",
      claimReceipt: !!evidence.receipt,
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
  problem: ReturnType<typeof successEvidenceProblem>,
): Decision {
  const success = evidence.outcome === "paid";
  const wasPaid = attempt.status === "paid";
  const otherOwner = (): Decision => ({
    outcome: "conflict",
    exception: "duplicate_receipt",
    summary: `Receipt ${evidence.receipt} already belongs to another payment`,
  });
  if (wasPaid && success) {
    if (evidence.source === "query")
      return { outcome: "duplicate", summary: "Repeats the recorded success" };
    if (attempt.receipt && evidence.receipt === attempt.receipt) {
      if (evidence.amountKes !== null && evidence.amountKes === attempt.receiptAmountKes)
        return { outcome: "duplicate", summary: "Repeats the recorded success" };
      return {
        outcome: "conflict",
        exception: "conflicting_callback",
        summary: `Repeats receipt ${evidence.receipt} with ${evidence.amountKes === null ? "no usable Amount" : `another amount (${formatKes(evidence.amountKes)})`}`,
      };
    }
    if (!attempt.receipt) {
      // The query said paid; this callback should bring the receipt we were waiting for, and it
      // must meet the same evidence rules as any success.
      if (problem?.exception === "conflicting_callback")
        return { outcome: "conflict", exception: problem.exception, summary: problem.summary };
      if (receiptOwner === "other_payment") return otherOwner();
      if (problem)
        return {
          outcome: "conflict",
          claimReceipt: true,
          paymentStatus: payment.status === "paid" && attempt.isLatest ? "unknown" : undefined,
          exception: problem.exception,
          summary: problem.summary,
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
    if (problem?.exception === "conflicting_callback")
      return { outcome: "conflict", exception: problem.exception, summary: problem.summary };
    if (evidence.receipt && receiptOwner === "other_payment") return otherOwner();
    // A success after a failure: the money exists, so the receipt is recorded, but the status stays
    // until finance decides (the customer may have been told the payment failed).
    const exception = problem
      ? problem.exception
      : payment.status === "paid"
        ? "double_payment"
        : "late_success";
    return {
      outcome: "conflict",
      claimReceipt: !!evidence.receipt,
      exception,
      summary: problem
        ? `${problem.summary}, after the attempt was recorded as ${attempt.status}`
        : `A success arrived after the attempt was recorded as ${attempt.status}`,
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

/** Cases that say money may have arrived for the payment. */
export const MONEY_CASES: readonly string[] = [
  "late_success",
  "amount_mismatch",
  "double_payment",
  "duplicate_receipt",
  "conflicting_callback",
  "orphan_callback",
  "statement_only",
  "unmatched_c2b",
  "unknown_outcome",
  "query_disagrees",
];

export type ResendState = {
  status: PaymentStatus;
  attemptStatuses: readonly string[];
  /** Receipts recorded against the payment (any source). */
  receipts: readonly string[];
  openCaseTypes: readonly string[];
};

/**
 * Why a new prompt must not be sent, or null when it may: a second prompt can charge the customer
 * twice, so it is refused while any money is recorded against the payment or its outcome is unknown
 * and may have been a payment. The page and the server ask the same question.
 */
export function resendRefusal(state: ResendState): string | null {
  if (state.status === "paid" || state.status === "refunded")
    return "This payment is already paid; a new prompt would charge the customer twice.";
  if (state.receipts.length > 0 || state.attemptStatuses.includes("paid"))
    return `M-Pesa already took money for this payment${state.receipts.length ? ` (receipt ${state.receipts.join(", ")})` : ""}; a new prompt would charge the customer twice. Ask finance to resolve the open case instead.`;
  if (state.status === "unknown" || state.attemptStatuses.includes("unknown"))
    return "The outcome of the last prompt is unknown and the customer may have paid. Use “Check status now”, or ask finance to resolve the case, before sending another prompt.";
  const moneyCase = state.openCaseTypes.find((t) => MONEY_CASES.includes(t));
  if (moneyCase)
    return `An open case (${moneyCase.replace(/_/g, " ")}) says money may have arrived for this payment. Ask finance to resolve it before sending another prompt.`;
  return null;
}
