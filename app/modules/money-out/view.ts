// What the payment page shows about money out: plain types shared by view.server.ts, which builds
// them, and the money-out panel, which shows them.
export type MoneyOutRequestView = {
  id: string;
  kind: "status" | "reversal" | "balance";
  state: string;
  receipt: string | null;
  amountKes: number | null;
  reason: string | null;
  requestedBy: string;
  mine: boolean;
  result: string | null;
  /**
   * A reversal waiting for M-Pesa's result: from when finance may record that none came, and whether
   * that time has come.
   */
  noAnswer: { from: string; now: boolean } | null;
  createdAt: string;
};

export type MoneyOutView = {
  allowed: boolean;
  needsReceipt: boolean;
  statusRefusal: string | null;
  reversalRefusal: string | null;
  capKes: number;
  requests: MoneyOutRequestView[];
};
