// Property: whatever order callbacks, STK Query answers, C2B confirmations and statement lines arrive
// in — complete, incomplete or hostile — the ledger never puts one receipt on two payments, never has
// a paid payment without qualifying evidence, and revenue is the sum of the receipts paid payments own
// (plus query-only "paid, receipt pending" payments), with every other shilling in front of a person.
import fc from "fast-check";
import { eq, inArray } from "drizzle-orm";
import { randomBytes } from "node:crypto";
import type { Database } from "../../../db/client";
import { exceptions, payments, receipts } from "../../../db/schema";
import { createTestDatabase } from "../../../tests/support/db";
import { insertDueAttempts, type DueAttempt } from "../../../tests/support/due-attempts";
import { readPaidWindows } from "../reports/stats.server";
import { DARAJA_ACTOR } from "./events.server";
import { applyStkEvidence } from "./payments.server";
import { applyReceiptMatch } from "./receipt-match.server";
import type { StkEvidence } from "./payments.server";

const AMOUNT = 500;
const RECEIPTS = ["TPR0000001", "TPR0000002", "TPR0000003"];

type Step =
  | {
      kind: "callback";
      p: number;
      code: "0" | "1032";
      receipt: number | "bad" | null;
      amount: "ok" | "other" | null;
    }
  | { kind: "query"; p: number; code: "0" | "1032" }
  | {
      kind: "witness";
      p: number;
      source: "c2b" | "statement";
      receipt: number;
      amount: "ok" | "other";
    };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("callback" as const),
    p: fc.nat(2),
    code: fc.constantFrom("0" as const, "1032" as const),
    receipt: fc.oneof(fc.nat(2), fc.constant("bad" as const), fc.constant(null)),
    amount: fc.constantFrom("ok" as const, "other" as const, null),
  }),
  fc.record({
    kind: fc.constant("query" as const),
    p: fc.nat(2),
    code: fc.constantFrom("0" as const, "1032" as const),
  }),
  fc.record({
    kind: fc.constant("witness" as const),
    p: fc.nat(2),
    source: fc.constantFrom("c2b" as const, "statement" as const),
    receipt: fc.nat(2),
    amount: fc.constantFrom("ok" as const, "other" as const),
  }),
);

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

async function run(steps: Step[]) {
  const db = database.db;
  const tag = randomBytes(4).toString("hex");
  const due: DueAttempt[] = await insertDueAttempts(
    db,
    [0, 1, 2].map((i) => `ws_CO_prop_${tag}_${i}`),
    { amountKes: AMOUNT },
  );
  // Receipts are per run, so runs share the database without sharing money.
  const receiptOf = (i: number) => `${RECEIPTS[i].slice(0, 6)}${tag.slice(0, 4).toUpperCase()}`;
  const now = new Date();
  const queried = new Set<string>();
  for (const s of steps) {
    const target = due[s.p];
    if (s.kind === "witness") {
      await db.transaction((tx) =>
        applyReceiptMatch(tx, DARAJA_ACTOR, {
          paymentId: target.paymentId,
          receipt: receiptOf(s.receipt),
          amountKes: s.amount === "ok" ? AMOUNT : AMOUNT + 7,
          transactionAt: now,
          source: s.source,
          confirmedByStaff: false,
          evidence: `${s.source} line`,
          now,
        }),
      );
      continue;
    }
    const evidence: StkEvidence =
      s.kind === "query"
        ? {
            source: "query",
            outcome: s.code === "0" ? "paid" : "cancelled",
            resultCode: s.code,
            resultDesc: "",
            receipt: null,
            amountKes: null,
          }
        : {
            source: "callback",
            outcome: s.code === "0" ? "paid" : "cancelled",
            resultCode: s.code,
            resultDesc: "",
            receipt:
              s.receipt === null
                ? null
                : s.receipt === "bad"
                  ? "not-a-receipt"
                  : receiptOf(s.receipt),
            amountKes: s.amount === null ? null : s.amount === "ok" ? AMOUNT : AMOUNT * 3,
            transactionAt: now,
          };
    const result = await db.transaction((tx) =>
      applyStkEvidence(tx, DARAJA_ACTOR, { attemptId: target.attemptId, evidence, now }),
    );
    if (s.kind === "query" && s.code === "0" && result.decision.paymentStatus === "paid")
      queried.add(target.paymentId);
  }

  const ids = due.map((d) => d.paymentId);
  const rows = await db.select().from(payments).where(inArray(payments.id, ids));
  const owned = await db.select().from(receipts).where(inArray(receipts.paymentId, ids));
  const cases = await db.select().from(exceptions).where(inArray(exceptions.paymentId, ids));
  const byReceipt = new Map(owned.map((r) => [r.receipt, r]));

  // 1. No receipt is any two payments' receipt.
  const named = rows.map((p) => p.receipt).filter((r): r is string => !!r);
  expect(new Set(named).size).toBe(named.length);

  for (const p of rows) {
    if (p.status !== "paid") continue;
    if (p.receipt) {
      // 2. A paid payment's receipt is its own and carries exactly the requested amount...
      const r = byReceipt.get(p.receipt);
      expect(r?.paymentId).toBe(p.id);
      expect(r?.amountKes).toBe(p.amountKes);
    } else {
      // ...or STK Query said 0 for our CheckoutRequestID and the receipt is still to come.
      expect(p.receiptPending).toBe(true);
      expect(queried.has(p.id)).toBe(true);
    }
  }
  // 3. The revenue the dashboard reads (the rollup the payments trigger keeps, over every run so far)
  // is the sum of the evidence: each paid payment's receipt once, or its amount while the receipt is
  // still to come.
  const allPaid = await db.select().from(payments).where(eq(payments.status, "paid"));
  const ledger = new Map((await db.select().from(receipts)).map((r) => [r.receipt, r]));
  const evidenced = allPaid.reduce(
    (sum, p) => sum + (p.receipt ? ledger.get(p.receipt)!.amountKes : p.amountKes),
    0,
  );
  const { ever } = await readPaidWindows(db, { ever: { from: "2000-01-01", to: "2100-01-01" } });
  expect(ever).toMatchObject({ payments: allPaid.length, amountKes: evidenced });
  // 4. Money on a payment that is not its paid receipt is in front of a person.
  for (const r of owned) {
    const p = rows.find((x) => x.id === r.paymentId)!;
    if (p.status === "paid" && p.receipt === r.receipt) continue;
    const open = cases.filter((c) => c.paymentId === p.id && c.status !== "resolved");
    expect(
      open.length,
      `receipt ${r.receipt} on ${p.status} payment without a case`,
    ).toBeGreaterThan(0);
  }
}

describe("the ledger under random interleavings of evidence", () => {
  it("keeps every shilling on exactly one payment or in front of a person", async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), run), {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 25),
      seed: 20261201,
    });
  }, 240_000);
});
