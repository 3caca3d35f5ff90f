// An exception as the queue, the API and the case page show it, with the evidence the case page
// gathers: plain types, shared by the server's queries and the components.
import type { CallbackView } from "../callbacks/callback-view";
import type { AttemptView, PaymentSummary } from "../payments/payment-view";

export type ExceptionView = {
  id: string;
  type: string;
  status: string;
  summary: string;
  paymentId: string | null;
  attemptId: string | null;
  rawCallbackId: number | null;
  statementLineId: number | null;
  receipt: string | null;
  amountAtStake: number;
  details: unknown;
  openedAt: string;
  proposedResolution: string | null;
  proposedData: unknown;
  proposedByUserId: string | null;
  proposedAt: string | null;
  resolution: string | null;
  resolutionNote: string | null;
  resolvedByUserId: string | null;
  approvedByUserId: string | null;
  resolvedAt: string | null;
  reopenCount: number;
};

/** An attempt of the case's payment, as the evidence shows it; `isCaseAttempt` marks the one at issue. */
export type CaseAttempt = Pick<
  AttemptView,
  | "id"
  | "seq"
  | "status"
  | "phone"
  | "amount"
  | "checkoutRequestId"
  | "resultCode"
  | "resultDesc"
  | "receipt"
  | "errorMessage"
  | "createdAt"
> & { isCaseAttempt: boolean };
export type CaseQuery = { at: string; actor: string; summary: string };
export type CaseHistory = { at: string; actor: string; action: string; note: string | null };

export type ExceptionCase = {
  exception: ExceptionView;
  payment: PaymentSummary | null;
  attempts: CaseAttempt[];
  callbacks: CallbackView[];
  queries: CaseQuery[];
  receipt: {
    receipt: string;
    amount: number;
    paymentId: string | null;
    reversedBy: string | null;
    transactionAt: string | null;
  } | null;
  history: CaseHistory[];
  names: Record<string, string>;
  canQuery: boolean;
};
