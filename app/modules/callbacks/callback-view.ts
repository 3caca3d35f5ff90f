// A raw callback as the log page, the API and a case's evidence show it: a plain type, shared by the
// server's queries and the components.

export type CallbackView = {
  id: number;
  kind: string;
  receivedAt: string;
  sourceIp: string | null;
  sourceTrusted: boolean | null;
  headers: unknown;
  sizeBytes: number;
  tokenValid: boolean;
  outcome: string;
  outcomeDetail: string | null;
  processedAt: string | null;
  checkoutRequestId: string | null;
  merchantRequestId: string | null;
  receipt: string | null;
  attemptId: string | null;
  paymentId: string | null;
  /** Which kind of payer number the body carried: full, masked, absent; null if not read yet. */
  phoneKind: string | null;
  body: string;
};
