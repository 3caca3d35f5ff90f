// Which resolution actions fit which exception type and state, and what each type means in plain
// words. Pure: the domain refuses with it and components use it to show
// only the buttons that fit. The rules a person must know are in the descriptions, not only here.
import type { ExceptionStatus, ExceptionType, PaymentStatus } from "../../../db/schema";

export const EXCEPTION_ACTIONS = [
  "accept_paid",
  "mark_refunded",
  "write_off",
  "link_to_payment",
  "not_ours",
  "requery",
  "choose_outcome",
  "mark_expired",
  "mark_paid_offline",
  "acknowledge",
  "approve",
  "reject",
  "reopen",
] as const;
export type ExceptionAction = (typeof EXCEPTION_ACTIONS)[number];

/** The actions that fit an *open* exception of each type (approve/reject/reopen depend on state instead). */
export const TYPE_ACTIONS: Record<ExceptionType, readonly ExceptionAction[]> = {
  late_success: ["accept_paid", "mark_refunded", "write_off"],
  amount_mismatch: ["accept_paid", "mark_refunded", "write_off"],
  double_payment: ["accept_paid", "mark_refunded", "write_off"],
  orphan_callback: ["link_to_payment", "not_ours"],
  conflicting_callback: ["requery", "choose_outcome"],
  query_disagrees: ["requery", "choose_outcome"],
  unknown_outcome: ["requery", "mark_expired", "mark_paid_offline", "acknowledge"],
  duplicate_receipt: ["acknowledge", "write_off"],
  statement_only: ["acknowledge", "write_off"],
  missing_from_statement: ["acknowledge", "write_off"],
  time_mismatch: ["acknowledge", "write_off"],
  unmatched_c2b: ["acknowledge", "write_off"],
  balance_mismatch: ["acknowledge", "write_off"],
  partial_reversal: ["mark_refunded", "acknowledge"],
  statement_conflict: ["acknowledge", "write_off"],
};

/** Actions that change nothing until a second finance user approves them. */
export const FOUR_EYES_ACTIONS: readonly ExceptionAction[] = ["mark_paid_offline"];

export const ACTION_LABELS: Record<ExceptionAction, { label: string; help: string }> = {
  accept_paid: {
    label: "Accept as paid",
    help: "The money is ours: the payment becomes paid with this receipt (for a double payment, both sums are kept).",
  },
  mark_refunded: {
    label: "Mark refunded",
    help: "The sum was reversed in the M-Pesa portal. Give the reversal's transaction ID.",
  },
  write_off: { label: "Write off", help: "Close without changing any payment; the note says why." },
  link_to_payment: {
    label: "Link to a payment",
    help: "This callback belongs to one of our payments: give its id or order reference.",
  },
  not_ours: { label: "Not ours", help: "The callback is not for any payment of this merchant." },
  requery: {
    label: "Re-query M-Pesa",
    help: "Ask Daraja (STK Query) what happened to the attempt; the answer is recorded here and on the payment's timeline.",
  },
  choose_outcome: {
    label: "Choose the outcome",
    help: "Decide which witness is right: paid with the receipt, or the failure.",
  },
  mark_expired: {
    label: "Mark expired",
    help: "The customer did not pay: the payment becomes expired.",
  },
  mark_paid_offline: {
    label: "Mark paid offline",
    help: "The M-Pesa portal shows the payment: give its receipt number. A second finance user must approve.",
  },
  acknowledge: { label: "Acknowledge", help: "Checked; nothing else needs doing." },
  approve: { label: "Approve", help: "Confirm the proposal; it takes effect now." },
  reject: { label: "Reject", help: "Send the proposal back; the exception stays open." },
  reopen: {
    label: "Reopen",
    help: "Put the exception back in the queue. What the resolution changed stays as it is.",
  },
};

export const TYPE_DESCRIPTIONS: Record<
  ExceptionType,
  { title: string; plain: string; urgent?: boolean }
> = {
  late_success: {
    title: "Late success",
    urgent: true,
    plain:
      "The customer paid after we told them the payment failed — the most urgent kind. The money is on record; decide whether the order counts as paid or the money goes back.",
  },
  amount_mismatch: {
    title: "Wrong amount",
    plain:
      "M-Pesa says the customer paid, but a different amount from the one we asked for. The money is recorded; the payment was not marked paid.",
  },
  double_payment: {
    title: "Charged twice",
    urgent: true,
    plain:
      "Two prompts for the same payment were both paid: the customer was charged twice. Keep both sums, or refund one in the M-Pesa portal.",
  },
  orphan_callback: {
    title: "Unknown callback",
    plain:
      "M-Pesa sent a result for a prompt we have no record of. If it carries money, find the payment it belongs to.",
  },
  conflicting_callback: {
    title: "Conflicting callbacks",
    plain:
      "M-Pesa told us two different things about the same prompt. Re-query M-Pesa, then choose which is right.",
  },
  query_disagrees: {
    title: "Query disagrees",
    plain:
      "The payment was recorded as paid, but a later STK Query answered differently. The receipt stands until someone decides.",
  },
  unknown_outcome: {
    title: "Outcome unknown",
    plain:
      "We could not tell whether the customer paid (M-Pesa never answered). Re-query, mark it expired, or — with a receipt from the M-Pesa portal — mark it paid offline with a second person's approval.",
  },
  duplicate_receipt: {
    title: "Receipt used twice",
    plain:
      "A callback named a receipt that already belongs to another payment. One receipt is one sum of money, so it was not booked again.",
  },
  statement_only: {
    title: "Only on the statement",
    plain: "The M-Pesa statement shows money we have no payment for.",
  },
  missing_from_statement: {
    title: "Missing from the statement",
    urgent: true,
    plain:
      "A paid payment does not appear on the M-Pesa statement for its day — the strongest sign of a forged callback. Check the M-Pesa portal before the goods go out.",
  },
  time_mismatch: {
    title: "Time mismatch",
    plain: "The statement and our records disagree about when a payment happened.",
  },
  unmatched_c2b: {
    title: "Unmatched direct payment",
    plain:
      "A customer paid to the paybill/till directly and we could not tell which order it is for.",
  },
  balance_mismatch: {
    title: "Balance mismatch",
    plain:
      "M-Pesa's Account Balance for the Utility Account differs from the statement's running balance at the same moment. Check the portal for money the statement does not show.",
  },
  partial_reversal: {
    title: "Partial reversal",
    plain:
      "The statement shows part of a paid payment's money going back to the customer. The payment stays paid until you decide: mark it refunded if the order was cancelled, or acknowledge that only part of the money went back.",
  },
  statement_conflict: {
    title: "Conflicting statement line",
    plain:
      "A statement shows a receipt that is already booked from a statement (earlier in the same file, or an earlier import) with another amount, direction or time. Only the booked line counts. Check the transaction in the M-Pesa portal; if the booked line is wrong, tell the team, as the file was probably edited.",
  },
};

/** Every exception type, for filters (the keys of the descriptions above, in their order). */
export const EXCEPTION_TYPE_LIST = Object.keys(TYPE_DESCRIPTIONS) as ExceptionType[];

export type ActionContext = {
  type: ExceptionType;
  status: ExceptionStatus;
  proposedByUserId: string | null;
  /** The linked payment's status, when there is one. */
  paymentStatus?: PaymentStatus | null;
  /** STK Query needs the attempt's CheckoutRequestID (a hung push never gave us one). */
  canQuery?: boolean;
};

const OPEN_PAYMENT: (PaymentStatus | null | undefined)[] = ["initiating", "pending"];

/** The actions that fit this exception now, for this viewer. Empty for roles that may not resolve. */
export function actionsFor(
  x: ActionContext,
  viewer: { userId: string; canResolve: boolean },
): ExceptionAction[] {
  if (!viewer.canResolve) return [];
  if (x.status === "resolved") return ["reopen"];
  if (x.status === "awaiting_approval")
    return x.proposedByUserId === viewer.userId ? ["reject"] : ["approve", "reject"];
  return TYPE_ACTIONS[x.type].filter((action) => {
    if (action === "requery") return x.canQuery !== false;
    if (x.type !== "unknown_outcome") return true;
    // Once the payment's outcome is known some other way, closing the question is all that is left.
    if (action === "acknowledge")
      return (
        x.paymentStatus != null &&
        x.paymentStatus !== "unknown" &&
        !OPEN_PAYMENT.includes(x.paymentStatus)
      );
    if (action === "mark_expired" || action === "mark_paid_offline")
      return x.paymentStatus !== "paid" && x.paymentStatus !== "refunded";
    return true;
  });
}

export function typeTitle(type: string): string {
  return (
    (TYPE_DESCRIPTIONS as Record<string, { title: string }>)[type]?.title ?? type.replace(/_/g, " ")
  );
}

export function isUrgentType(type: string): boolean {
  return !!(TYPE_DESCRIPTIONS as Record<string, { urgent?: boolean }>)[type]?.urgent;
}

export function actionLabel(action: string): string {
  return (
    (ACTION_LABELS as Record<string, { label: string }>)[action]?.label ?? action.replace(/_/g, " ")
  );
}

/**
 * The actions a bulk decision may take: resolutions that need nothing but a note. The others stay
 * one-by-one: a reversal ID, a payment, an outcome or a receipt is different for every case;
 * re-query asks M-Pesa (within its rate budget); four-eyes steps need a second person per case.
 */
export const BULK_ACTIONS = [
  "write_off",
  "acknowledge",
  "not_ours",
  "mark_expired",
  "accept_paid",
] as const satisfies readonly ExceptionAction[];
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** The bulk actions that fit every one of the cases (none for an empty selection). */
export function bulkActionsFor(
  cases: ActionContext[],
  viewer: { userId: string; canResolve: boolean },
): BulkAction[] {
  if (cases.length === 0) return [];
  return BULK_ACTIONS.filter(
    (action) =>
      !FOUR_EYES_ACTIONS.includes(action) &&
      cases.every((x) => actionsFor(x, viewer).includes(action)),
  );
}
