// One receipt, many payments, at the same moment (PostgreSQL, many connections): the database decides
// who owns the receipt, so exactly one payment is paid with it and every other opens duplicate_receipt.
import { eq, inArray } from "drizzle-orm";
import { exceptions, payments, receipts } from "../../../db/schema";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  type TestApp,
} from "../../../tests/support/app";
import { DARAJA_ACTOR } from "./events.server";
import { applyReceiptMatch } from "./receipt-match.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const AMOUNT = 300;

describe("receipt ownership races (PostgreSQL)", () => {
  it("20 rounds of 4 payments whose success callbacks share one receipt: one paid per receipt, the rest duplicate_receipt", async () => {
    for (let round = 0; round < 20; round += 1) {
      const receipt = `TRC${String(round).padStart(3, "0")}${String(process.pid % 10000).padStart(4, "0")}`;
      const due = await insertDueAttempts(
        app.ctx.db,
        [0, 1, 2, 3].map((i) => `ws_CO_race_${process.pid}_${round}_${i}`),
        { amountKes: AMOUNT, nextPollAt: new Date(Date.now() + 3_600_000) },
      );
      const responses = await Promise.all(
        due.map((d) =>
          postStkCallback(
            app,
            stkCallbackBody({ checkoutRequestId: d.checkoutRequestId, receipt, amount: AMOUNT }),
          ),
        ),
      );
      expect(responses.every((r) => r.status === 200)).toBe(true);
      const ids = due.map((d) => d.paymentId);
      const rows = await app.ctx.db.select().from(payments).where(inArray(payments.id, ids));
      const paid = rows.filter((p) => p.status === "paid");
      expect(paid, `round ${round}`).toHaveLength(1);
      expect(paid[0].receipt).toBe(receipt);
      const [owner] = await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, receipt));
      expect(owner.paymentId).toBe(paid[0].id);
      const cases = await app.ctx.db
        .select()
        .from(exceptions)
        .where(inArray(exceptions.paymentId, ids));
      expect(cases.filter((x) => x.type === "duplicate_receipt")).toHaveLength(3);
    }
  });

  it("a callback and a C2B/statement witness racing for one receipt on two payments: never both paid", async () => {
    for (let round = 0; round < 20; round += 1) {
      const receipt = `TRW${String(round).padStart(3, "0")}${String(process.pid % 10000).padStart(4, "0")}`;
      const [a, b] = await insertDueAttempts(
        app.ctx.db,
        [0, 1].map((i) => `ws_CO_racew_${process.pid}_${round}_${i}`),
        { amountKes: AMOUNT, nextPollAt: new Date(Date.now() + 3_600_000) },
      );
      await Promise.all([
        postStkCallback(
          app,
          stkCallbackBody({ checkoutRequestId: a.checkoutRequestId, receipt, amount: AMOUNT }),
        ),
        app.ctx.db.transaction((tx) =>
          applyReceiptMatch(tx, DARAJA_ACTOR, {
            paymentId: b.paymentId,
            receipt,
            amountKes: AMOUNT,
            transactionAt: new Date(),
            source: round % 2 ? "c2b" : "statement",
            confirmedByStaff: false,
            evidence: "witness",
            now: new Date(),
          }),
        ),
      ]);
      const rows = await app.ctx.db
        .select()
        .from(payments)
        .where(inArray(payments.id, [a.paymentId, b.paymentId]));
      expect(
        rows.filter((p) => p.status === "paid" && p.receipt === receipt),
        `round ${round}`,
      ).toHaveLength(1);
    }
  });
});
