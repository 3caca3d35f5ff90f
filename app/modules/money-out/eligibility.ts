// When finance may ask Transaction Status or start a reversal (docs/daraja.md#transaction-status,
// #reversal). Pure: the page hides the buttons with the same answers the server refuses with.
import type { PaymentStatus } from "../../../db/schema";

export type MoneyOutPayment = {
  status: PaymentStatus;
  receipt: string | null;
  receiptPending: boolean;
  amountKes: number;
  openCases: number;
};

/** Why Transaction Status does not fit this payment, or null when it does. */
export function statusQueryRefusal(p: MoneyOutPayment): string | null {
  if (p.status === "unknown") return null;
  if (p.status === "paid" && (p.receiptPending || !p.receipt)) return null;
  if (p.openCases > 0) return null; // disputed: M-Pesa's own record helps settle the case
  return "Transaction Status is for payments whose outcome is unknown, paid without a receipt, or disputed (an open case).";
}

/** Why this payment cannot be reversed, or null when a reversal may be requested. */
export function reversalRefusal(
  p: MoneyOutPayment,
  rules: { allowReversals: boolean; capKes: number; configured: boolean },
): string | null {
  if (!rules.allowReversals)
    return "Reversals are switched off for this installation (MPESA_ALLOW_REVERSALS).";
  if (!rules.configured) return "The M-Pesa initiator is not configured.";
  if (p.status !== "paid" || !p.receipt || p.receiptPending)
    return "Only a paid payment with its receipt can be reversed.";
  if (p.amountKes > rules.capKes)
    return `This payment is above the reversal cap of KES ${rules.capKes.toLocaleString("en-KE")} per request set by an admin; reverse it in the M-Pesa portal or ask an admin.`;
  return null;
}

/** A receipt a person typed (from the customer's SMS): trimmed, upper-cased, ten letters and digits. */
export function normaliseReceiptInput(raw: string | undefined | null): string | null {
  const text = (raw ?? "").trim().toUpperCase();
  return /^[A-Z0-9]{10}$/.test(text) ? text : null;
}

/** The default cap on one reversal until an admin sets one. */
export const DEFAULT_REVERSAL_CAP_KES = 10_000;
