// A statement's lines and the daily reconciliation status as the pages show them: plain types,
// shared by the server's queries and the components.
import type { CandidateEvidence } from "./match-rules";

export type LineView = {
  id: number;
  receipt: string;
  status: string;
  completedAt: string | null;
  direction: string;
  paidIn: number;
  withdrawn: number;
  details: string | null;
  reasonType: string | null;
  otherPartyInfo: string | null;
  accountNo: string | null;
  linkedTransactionId: string | null;
  matchState: string;
  paymentId: string | null;
  paymentOrderRef: string | null;
  proposal: {
    paymentId: string;
    orderRef: string;
    amount: number;
    phone: string;
    status: string;
    createdAt: string;
    evidence: CandidateEvidence;
  } | null;
  exception: { id: string; type: string; status: string } | null;
};

export type DayStatus = {
  day: string;
  lines: number;
  matched: number;
  proposed: number;
  /** Lines stored by an import whose matching has not finished: counted in `open` too. */
  unmatchedYet: number;
  open: number;
  skipped: number;
  statementPaidInKes: number;
  systemPaidInKes: number;
  signedOff: { by: string; at: string; note: string | null } | null;
};
