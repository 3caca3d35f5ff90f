// The ledger's pure rules over every attempt status × payment status × evidence kind × receipt owner,
// plus the named cases the money-integrity review found.
import { ATTEMPT_STATUSES, PAYMENT_STATUSES, type PaymentStatus } from "../../../db/schema";
import {
  canMovePayment,
  decide,
  PAYMENT_TRANSITIONS,
  resendRefusal,
  successEvidenceProblem,
  type AttemptState,
  type Evidence,
  type ReceiptOwner,
} from "./transitions";

const REQUESTED = 720;
const GOOD = "TCE4ABCDEF";

type Kind = { name: string; evidence: Evidence; complete: boolean };
const success = (over: Partial<Evidence>): Evidence => ({
  source: "callback",
  outcome: "paid",
  resultCode: "0",
  receipt: GOOD,
  amountKes: REQUESTED,
  ...over,
});
const KINDS: Kind[] = [
  { name: "complete success", evidence: success({}), complete: true },
  {
    name: "query 0",
    evidence: success({ source: "query", receipt: null, amountKes: null }),
    complete: true,
  },
  { name: "no receipt", evidence: success({ receipt: null }), complete: false },
  { name: "malformed receipt", evidence: success({ receipt: "abc" }), complete: false },
  { name: "lower-case receipt", evidence: success({ receipt: "tce4abcdef" }), complete: false },
  {
    name: "missing Amount",
    evidence: success({ amountKes: null, amountProblem: "missing Amount" }),
    complete: false,
  },
  {
    name: "fractional Amount",
    evidence: success({ amountKes: null, amountProblem: "amount 1.5 is not whole shillings" }),
    complete: false,
  },
  { name: "other amount", evidence: success({ amountKes: REQUESTED + 1 }), complete: false },
  { name: "huge amount", evidence: success({ amountKes: 9_007_199_254_740_991 }), complete: false },
  {
    name: "cancelled",
    evidence: {
      source: "callback",
      outcome: "cancelled",
      resultCode: "1032",
      receipt: null,
      amountKes: null,
    },
    complete: true,
  },
  {
    name: "query failed",
    evidence: {
      source: "query",
      outcome: "failed",
      resultCode: "2001",
      receipt: null,
      amountKes: null,
    },
    complete: true,
  },
];
const OWNERS: ReceiptOwner[] = ["none", "this_attempt", "unassigned", "other_payment"];

function attemptIn(status: AttemptState["status"], payment: PaymentStatus): AttemptState {
  const final = !["initiating", "pending", "unknown"].includes(status);
  return {
    status,
    resultCode: final ? (status === "paid" ? "0" : "1032") : null,
    // A paid attempt of a paid payment has its receipt unless the query alone said paid.
    receipt: status === "paid" ? "TCE4RECORD" : null,
    receiptAmountKes: status === "paid" ? REQUESTED : null,
    amountKes: REQUESTED,
    isLatest: payment !== "refunded",
  };
}

describe("decide() over every state and evidence", () => {
  const pairs = ATTEMPT_STATUSES.flatMap((a) => PAYMENT_STATUSES.map((p) => [a, p] as const));

  it.each(pairs)("attempt %s, payment %s: every evidence kind × receipt owner", (a, p) => {
    const violations: string[] = [];
    for (const kind of KINDS)
      for (const owner of OWNERS) {
        const d = decide(
          attemptIn(a, p),
          { status: p, receipt: null, receiptPending: false },
          kind.evidence,
          owner,
        );
        const where = `${kind.name}, owner ${owner}: ${JSON.stringify(d)}`;
        // Money moves only on complete evidence, and never onto a receipt another payment owns.
        if (d.paymentStatus === "paid" && !(kind.complete && kind.evidence.outcome === "paid"))
          violations.push(`paid on incomplete evidence — ${where}`);
        if (d.paymentStatus === "paid" && kind.evidence.receipt && owner === "other_payment")
          violations.push(`paid with another payment's receipt — ${where}`);
        if (
          d.claimReceipt &&
          (owner === "other_payment" || !/^[A-Z0-9]{10}$/.test(kind.evidence.receipt ?? ""))
        )
          violations.push(`claims a receipt it may not — ${where}`);
        // Every status the decision writes is one the table allows.
        if (d.paymentStatus && d.paymentStatus !== p && !canMovePayment(p, d.paymentStatus))
          violations.push(`transition ${p} → ${d.paymentStatus} not in the table — ${where}`);
        // Anything contested is in front of a person; incomplete success is never "applied".
        if (d.outcome === "conflict" && !d.exception)
          violations.push(`conflict without a case — ${where}`);
        if (!kind.complete && d.outcome === "applied")
          violations.push(`applied incomplete — ${where}`);
      }
    expect(violations).toEqual([]);
  });
});

describe("decide(): the named classes of evidence", () => {
  const open = attemptIn("pending", "pending");
  const pendingPayment = { status: "pending" as const, receipt: null, receiptPending: false };

  it("pays only on ResultCode 0 + a well-formed receipt + the requested amount", () => {
    const d = decide(open, pendingPayment, success({}), "none");
    expect(d).toMatchObject({ outcome: "applied", paymentStatus: "paid", claimReceipt: true });
  });

  it.each([
    ["Amount missing", success({ amountKes: null, amountProblem: "missing Amount" })],
    ["Amount text", success({ amountKes: null, amountProblem: 'amount "abc" is not a number' })],
    ["receipt missing", success({ receipt: null })],
    ["receipt not M-Pesa-shaped", success({ receipt: "RECEIPT-1" })],
  ])("%s: conflicting_callback, outcome unknown, nothing claimed", (_, evidence) => {
    const d = decide(open, pendingPayment, evidence, "none");
    expect(d).toMatchObject({
      outcome: "conflict",
      exception: "conflicting_callback",
      paymentStatus: "unknown",
    });
    expect(d.claimReceipt).toBeFalsy();
    expect(d.attemptStatus).toBeUndefined(); // STK Query may still settle it
  });

  it("another whole amount: amount_mismatch, the receipt stays on this payment, not paid", () => {
    const d = decide(open, pendingPayment, success({ amountKes: 700 }), "none");
    expect(d).toMatchObject({
      exception: "amount_mismatch",
      paymentStatus: "unknown",
      claimReceipt: true,
    });
  });

  it("a receipt after a query-only paid must carry the requested amount", () => {
    const queryPaid: AttemptState = {
      ...attemptIn("paid", "paid"),
      receipt: null,
      receiptAmountKes: null,
    };
    const paid = { status: "paid" as const, receipt: null, receiptPending: true };
    expect(decide(queryPaid, paid, success({}), "none")).toMatchObject({
      outcome: "applied",
      claimReceipt: true,
    });
    expect(decide(queryPaid, paid, success({ amountKes: 1 }), "none")).toMatchObject({
      exception: "amount_mismatch",
      paymentStatus: "unknown",
    });
    expect(decide(queryPaid, paid, success({ amountKes: null }), "none")).toMatchObject({
      exception: "conflicting_callback",
    });
    expect(decide(queryPaid, paid, success({}), "other_payment")).toMatchObject({
      exception: "duplicate_receipt",
    });
  });

  it("a repeat of the recorded receipt with another amount is a conflict, not a duplicate", () => {
    const paid = attemptIn("paid", "paid");
    const payment = { status: "paid" as const, receipt: "TCE4RECORD", receiptPending: false };
    expect(decide(paid, payment, success({ receipt: "TCE4RECORD" }), "this_attempt").outcome).toBe(
      "duplicate",
    );
    expect(
      decide(paid, payment, success({ receipt: "TCE4RECORD", amountKes: 5 }), "this_attempt"),
    ).toMatchObject({ outcome: "conflict", exception: "conflicting_callback" });
  });

  it("a receipt another payment owns opens duplicate_receipt and moves nothing", () => {
    const d = decide(open, pendingPayment, success({}), "other_payment");
    expect(d).toMatchObject({ outcome: "conflict", exception: "duplicate_receipt" });
    expect(d.paymentStatus).toBeUndefined();
  });
});

describe("the payment-status table", () => {
  it("names every status, and statuses move forward except re-send, refund and a contradicted query", () => {
    expect(Object.keys(PAYMENT_TRANSITIONS).sort()).toEqual([...PAYMENT_STATUSES].sort());
    expect(canMovePayment("paid", "failed")).toBe(false);
    expect(canMovePayment("paid", "initiating")).toBe(false);
    expect(canMovePayment("refunded", "paid")).toBe(false);
    expect(canMovePayment("unknown", "initiating")).toBe(false);
    expect(canMovePayment("cancelled", "initiating")).toBe(true);
    expect(canMovePayment("paid", "unknown")).toBe(true);
  });
});

describe("resendRefusal()", () => {
  const base = {
    status: "cancelled" as PaymentStatus,
    attemptStatuses: ["cancelled"],
    receipts: [],
    openCaseTypes: [],
  };
  it("allows a re-send of a cancelled prompt with no money recorded", () => {
    expect(resendRefusal(base)).toBeNull();
  });
  it.each([
    ["paid", { status: "paid" as PaymentStatus }, /already paid/],
    ["a receipt recorded", { receipts: ["TCE4ABCDEF"] }, /already took money.*TCE4ABCDEF/],
    [
      "a paid attempt (late success)",
      { attemptStatuses: ["paid", "cancelled"] },
      /already took money/,
    ],
    ["an unknown outcome", { status: "unknown" as PaymentStatus }, /unknown/],
    ["an open late_success case", { openCaseTypes: ["late_success"] }, /late success/],
    ["an open statement_only case", { openCaseTypes: ["statement_only"] }, /statement only/],
  ])("refuses with %s, saying why", (_, over, message) => {
    expect(resendRefusal({ ...base, ...over })).toMatch(message);
  });
});

describe("successEvidenceProblem()", () => {
  it("accepts query 0 without a receipt (the receipt is checked when it comes)", () => {
    expect(
      successEvidenceProblem({ source: "query", receipt: null, amountKes: null }, 10),
    ).toBeNull();
  });
});
