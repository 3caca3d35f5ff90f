// The pure rules of statement and C2B matching (docs/daraja.md#statement-matching): how close in
// time a witness must be, how an account reference compares, and when a set of candidate payments
// yields one proposal. No I/O: match.server.ts and c2b.server.ts feed it rows; the reconciliation
// page re-reads its evidence.

/** A statement line or C2B time may differ from the callback's TransactionDate by this much
 * (docs/daraja.md#statement-matching). */
export const TIME_TOLERANCE_MS = 5 * 60_000;
/** How long after a payment was requested money for it may still arrive (a late USSD paybill payment). */
export const CANDIDATE_WINDOW_MS = 24 * 60 * 60_000;

/**
 * Customers type the account number by hand (`inv 10023`, ` Inv-10023 `), and AccountReference is the
 * order reference stripped to 12 letters and digits; comparing only letters and digits, upper-cased,
 * makes all of those one reference.
 */
export function compactRef(text: string | null | undefined): string {
  return (text ?? "").toUpperCase().replace(/[^A-Z0-9]/g, "");
}

/** null when the witness carries no reference at all (Buy Goods, some bank transfers). */
export function refMatches(
  witnessRef: string | null | undefined,
  payment: { accountReference: string; orderRef: string },
): boolean | null {
  const ref = compactRef(witnessRef);
  if (!ref) return null;
  return ref === compactRef(payment.accountReference) || ref === compactRef(payment.orderRef);
}

export function withinTolerance(a: Date, b: Date, toleranceMs = TIME_TOLERANCE_MS): boolean {
  return Math.abs(a.getTime() - b.getTime()) <= toleranceMs;
}

/** Money can only pay a payment that existed (give or take clock skew) and was requested recently. */
export function inCandidateWindow(paidAt: Date, requestedAt: Date): boolean {
  const delta = paidAt.getTime() - requestedAt.getTime();
  return delta >= -TIME_TOLERANCE_MS && delta <= CANDIDATE_WINDOW_MS;
}

export type CandidateEvidence = {
  paymentId: string;
  amount: boolean;
  accountRef: boolean | null;
  phone: boolean | null;
  inWindow: boolean;
  minutesAfterRequest: number;
};

export function candidateEvidence(
  witness: { amountKes: number; at: Date; ref: string | null },
  payment: {
    id: string;
    amountKes: number;
    accountReference: string;
    orderRef: string;
    createdAt: Date;
  },
  phone: boolean | null,
): CandidateEvidence {
  return {
    paymentId: payment.id,
    amount: witness.amountKes === payment.amountKes,
    accountRef: refMatches(witness.ref, payment),
    phone,
    inWindow: inCandidateWindow(witness.at, payment.createdAt),
    minutesAfterRequest: Math.round((witness.at.getTime() - payment.createdAt.getTime()) / 60_000),
  };
}

/**
 * A candidate needs the exact amount, the time window, and at least one of reference or phone to agree.
 * Several candidates narrow to those where both agree; anything but exactly one is no proposal, because
 * a wrong proposal confirmed by a busy person books money to the wrong customer.
 */
export function pickCandidate(evidence: CandidateEvidence[]): {
  chosen: CandidateEvidence | null;
  eligible: CandidateEvidence[];
} {
  const eligible = evidence.filter(
    (e) => e.amount && e.inWindow && (e.accountRef === true || e.phone === true),
  );
  if (eligible.length === 1) return { chosen: eligible[0], eligible };
  const strong = eligible.filter((e) => e.accountRef === true && e.phone === true);
  return { chosen: strong.length === 1 ? strong[0] : null, eligible };
}

/** For C2B the BillRefNumber is required to agree (docs/daraja.md#c2b-confirmation: match by
 * BillRefNumber and amount). */
export function pickC2bCandidate(evidence: CandidateEvidence[]): {
  chosen: CandidateEvidence | null;
  eligible: CandidateEvidence[];
} {
  const eligible = evidence.filter((e) => e.amount && e.inWindow && e.accountRef === true);
  if (eligible.length === 1) return { chosen: eligible[0], eligible };
  const byPhone = eligible.filter((e) => e.phone === true);
  return { chosen: byPhone.length === 1 ? byPhone[0] : null, eligible };
}

// Candidates came back from the per-line matcher's query in no promised order; sorting by creation
// time and id keeps the choice (and the evidence listed on a case) deterministic.
export function byPaymentOrder(
  a: { createdAt: Date; id: string },
  b: { createdAt: Date; id: string },
) {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
