// An STK callback and its own C2B confirmation (same receipt, same payment) applied at the same
// moment on PostgreSQL. The STK gate locks the payment, then the receipt; the C2B path used to lock
// the receipt, then the payment, and the two deadlocked (40P01) in most rounds. Both now take the
// ledger's one order (callbacks/stk-batch.server.ts): payment, then receipt. Part of the suite only
// with TEST_DATABASE_URL (vitest.config.ts): PGlite's single connection cannot race.
import { eq } from "drizzle-orm";
import { exceptions, payments, rawCallbacks, receipts } from "../../../db/schema";
import {
  startTestApp,
  stkCallbackBody,
  storeCallback,
  type TestApp,
} from "../../../tests/support/app";
import { usingPostgres } from "../../../tests/support/db";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import { toDarajaTimestamp } from "../../lib/time";
import { processStkCallback } from "../callbacks/intake.server";
import { processC2bConfirmation } from "./c2b.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const PHONE = "254708000006";

function c2bBody(input: { transId: string; amount: number; billRef: string }) {
  return JSON.stringify({
    TransactionType: "Pay Bill",
    TransID: input.transId,
    TransTime: toDarajaTimestamp(new Date()),
    TransAmount: `${input.amount}.00`,
    BusinessShortCode: "600000",
    BillRefNumber: input.billRef,
    InvoiceNumber: "",
    OrgAccountBalance: "",
    ThirdPartyTransID: "",
    MSISDN: PHONE,
    FirstName: "Jane",
  });
}

describe.skipIf(!usingPostgres())(
  "STK callback and C2B confirmation of one receipt (PostgreSQL)",
  () => {
    it("20 rounds applied concurrently: no deadlock, the payment paid once with that receipt", async () => {
      for (let round = 0; round < 20; round += 1) {
        const amount = 700 + round; // one candidate per round for the C2B match
        const receipt = `TLO${String(round).padStart(3, "0")}${String(process.pid % 10000).padStart(4, "0")}`;
        const [due] = await insertDueAttempts(
          app.ctx.db,
          [`ws_CO_lockorder_${process.pid}_${round}`],
          { amountKes: amount, phone: PHONE, nextPollAt: new Date(Date.now() + 3_600_000) },
        );
        const [payment] = await app.ctx.db
          .select()
          .from(payments)
          .where(eq(payments.id, due.paymentId));
        const stk = await storeCallback(
          app.ctx,
          stkCallbackBody({
            checkoutRequestId: due.checkoutRequestId,
            receipt,
            amount,
            phone: PHONE,
          }),
        );
        const c2b = await storeCallback(
          app.ctx,
          c2bBody({ transId: receipt, amount, billRef: payment.accountReference }),
          "c2b_confirmation",
        );

        // Alternate which starts first; both are in flight together either way.
        const runs =
          round % 2
            ? [processStkCallback(app.ctx, stk), processC2bConfirmation(app.ctx, c2b)]
            : [processC2bConfirmation(app.ctx, c2b), processStkCallback(app.ctx, stk)];
        const failures = (await Promise.allSettled(runs)).flatMap((s) =>
          s.status === "rejected"
            ? [`${(s.reason as { cause?: { code?: string } }).cause?.code}: ${String(s.reason)}`]
            : [],
        );
        expect(failures, `round ${round}`).toEqual([]); // was 40P01, deadlock detected

        const [after] = await app.ctx.db
          .select()
          .from(payments)
          .where(eq(payments.id, due.paymentId));
        expect(after, `round ${round}`).toMatchObject({
          status: "paid",
          receipt,
          receiptPending: false,
        });
        const [ledger] = await app.ctx.db
          .select()
          .from(receipts)
          .where(eq(receipts.receipt, receipt));
        expect(ledger, `round ${round}`).toMatchObject({
          paymentId: due.paymentId,
          amountKes: amount,
          seenInC2b: true,
        });
        for (const id of [stk.id, c2b.id]) {
          const [raw] = await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, id));
          expect(["applied", "duplicate"], `round ${round}, raw ${raw.kind}`).toContain(
            raw.outcome,
          );
        }
        // The same money seen twice is one payment, not a case.
        expect(
          await app.ctx.db.select().from(exceptions).where(eq(exceptions.paymentId, due.paymentId)),
          `round ${round}`,
        ).toEqual([]);
      }
    });
  },
);
