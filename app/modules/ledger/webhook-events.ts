// The merchant webhook vocabulary (README "Merchant webhooks"): what the ledger announces to
// merchants' systems. Pure, so the console's endpoint form lists the same types the server checks.
import { PAYMENT_STATUSES, type PaymentStatus } from "../../../db/schema";

/** A payment's status change is announced as `payment.<new status>` for every outcome status. */
export const ANNOUNCED_STATUSES = PAYMENT_STATUSES.filter(
  (s) => s !== "initiating" && s !== "pending",
) as Exclude<PaymentStatus, "initiating" | "pending">[];

export const WEBHOOK_EVENT_TYPES = [
  ...ANNOUNCED_STATUSES.map((s) => `payment.${s}` as const),
  "payment.receipt_recorded",
  "case.opened",
  "case.resolved",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only by the console's "Send test event" button, to one endpoint, whatever it subscribes to. */
export const TEST_EVENT_TYPE = "webhook.test";

export const WEBHOOK_EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  "payment.paid": "M-Pesa took the money (a receipt, or a query's confirmation).",
  "payment.failed": "The payment failed (e.g. insufficient funds, wrong PIN).",
  "payment.cancelled": "The customer cancelled the prompt.",
  "payment.expired": "Nobody answered the prompt in time.",
  "payment.unknown": "The outcome is unknown; a person is looking (a case is open).",
  "payment.refunded": "The money went back to the customer.",
  "payment.receipt_recorded": "A paid payment's M-Pesa receipt arrived after it was marked paid.",
  "case.opened": "An exception case opened (or reopened) for a person to look at.",
  "case.resolved": "An exception case was resolved.",
};

export function isAnnouncedStatus(
  status: PaymentStatus,
): status is (typeof ANNOUNCED_STATUSES)[number] {
  return (ANNOUNCED_STATUSES as readonly string[]).includes(status);
}
