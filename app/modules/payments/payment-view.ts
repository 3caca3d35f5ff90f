// The shapes of a payment as loaders send it to pages and the API answers it: plain types, so the
// server's queries and the components that show them share one definition.
import type { PaymentStatus } from "../../../db/schema";

export type AttemptView = {
  id: string;
  seq: number;
  status: string;
  phone: string;
  amount: number;
  checkoutRequestId: string | null;
  merchantRequestId: string | null;
  resultCode: string | null;
  resultDesc: string | null;
  receipt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  reason: string | null;
  pollCount: number;
  nextPollAt: string | null;
  lastPollAnswer: string | null;
  createdAt: string;
  callbackAt: string | null;
};
export type PaymentSummary = {
  id: string;
  orderRef: string;
  amount: number;
  phone: string;
  description: string;
  accountReference: string;
  status: PaymentStatus;
  statusReason: string | null;
  resultCode: string | null;
  receipt: string | null;
  receiptPending: boolean;
  createdAt: string;
  updatedAt: string;
  paidAt: string | null;
};
export type PaymentView = PaymentSummary & {
  attempts: AttemptView[];
  receipts: { receipt: string; amount: number; transactionAt: string | null; sources: string[] }[];
  timeline: {
    id: number;
    type: string;
    actor: string;
    actorType: string;
    summary: string;
    data: unknown;
    rawCallbackId: number | null;
    attemptId: string | null;
    at: string;
  }[];
  openExceptions: {
    id: string;
    type: string;
    status: string;
    summary: string;
    amountAtStake: number;
    openedAt: string;
  }[];
};
