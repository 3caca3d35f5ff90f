// The money gate against hostile and incomplete evidence, through the real callback route and the
// ledger's commands: each class the money-integrity review found, on both databases.
import { eq } from "drizzle-orm";
import { exceptions, payments, stkAttempts } from "../../../db/schema";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  type TestApp,
} from "../../../tests/support/app";
import { insertDueAttempts, type DueAttempt } from "../../../tests/support/due-attempts";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { bindQueryAnswer } from "../daraja/client.server";
import { resendPrompt } from "../payments/resend.server";
import { getPaymentView } from "../payments/queries.server";
import { DARAJA_ACTOR } from "./events.server";
import { applyStkEvidence } from "./payments.server";
import { applyReceiptMatch } from "./receipt-match.server";

const AMOUNT = 720;
let app: TestApp;
let n = 0;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

async function pending(): Promise<DueAttempt> {
  n += 1;
  const [due] = await insertDueAttempts(
    app.ctx.db,
    [`ws_CO_gate_${process.pid}_${n}_${Date.now()}`],
    {
      amountKes: AMOUNT,
      nextPollAt: new Date(Date.now() + 3_600_000),
    },
  );
  return due;
}
let receiptN = 0;
const nextReceipt = () =>
  `TGA${String(++receiptN).padStart(4, "0")}${process.pid % 1000}`.padEnd(10, "0").slice(0, 10);

function successBody(checkoutRequestId: string, items: { Name: string; Value?: unknown }[]) {
  return JSON.stringify({
    Body: {
      stkCallback: {
        MerchantRequestID: "1-1-1",
        CheckoutRequestID: checkoutRequestId,
        ResultCode: 0,
        ResultDesc: "The service request is processed successfully.",
        CallbackMetadata: { Item: items },
      },
    },
  });
}
const casesOf = (paymentId: string) =>
  app.ctx.db.select().from(exceptions).where(eq(exceptions.paymentId, paymentId));
const queryPaid = (due: DueAttempt) =>
  app.ctx.db.transaction((tx) =>
    applyStkEvidence(tx, DARAJA_ACTOR, {
      attemptId: due.attemptId,
      now: new Date(),
      evidence: {
        source: "query",
        outcome: "paid",
        resultCode: "0",
        resultDesc: "The service request is processed successfully.",
        receipt: null,
        amountKes: null,
      },
    }),
  );

describe("a success callback is paid only on complete evidence", () => {
  const good = (r: string) => [
    { Name: "Amount", Value: AMOUNT },
    { Name: "MpesaReceiptNumber", Value: r },
    { Name: "TransactionDate", Value: 20261130101539 },
    { Name: "PhoneNumber", Value: 254708000001 },
  ];
  const without = (name: string, r: string) => good(r).filter((i) => i.Name !== name);
  const withAmount = (value: unknown, r: string) => [
    { Name: "Amount", Value: value },
    ...without("Amount", r),
  ];

  it.each([
    ["no Amount item", "conflicting_callback", (r: string) => without("Amount", r)],
    [
      "an Amount with no Value",
      "conflicting_callback",
      (r: string) => [{ Name: "Amount" }, ...without("Amount", r)],
    ],
    ["a text Amount", "conflicting_callback", (r: string) => withAmount("seven hundred", r)],
    ["a negative Amount", "conflicting_callback", (r: string) => withAmount(-720, r)],
    ["a fractional Amount", "conflicting_callback", (r: string) => withAmount(719.5, r)],
    ["an astronomically large Amount", "conflicting_callback", (r: string) => withAmount(1e300, r)],
    ["an object Amount", "conflicting_callback", (r: string) => withAmount({ kes: 720 }, r)],
    ["another whole Amount", "amount_mismatch", (r: string) => withAmount(700, r)],
    // Past a 32-bit integer: still a wrong amount for a person, not a callback stuck in retries.
    ["a whole Amount of three billion", "amount_mismatch", (r: string) => withAmount(3e9, r)],
    ["no receipt", "conflicting_callback", (r: string) => without("MpesaReceiptNumber", r)],
    [
      "a receipt that is not M-Pesa-shaped",
      "conflicting_callback",
      () => good("<script>1</script>"),
    ],
  ] as const)("%s: answered 200, not paid, no revenue, a %s case", async (_, caseType, items) => {
    const due = await pending();
    const res = await postStkCallback(
      app,
      successBody(due.checkoutRequestId, items(nextReceipt())),
    );
    expect(res.status).toBe(200);
    const view = (await getPaymentView(app.ctx.db, due.paymentId))!;
    expect(view.status).toBe("unknown");
    expect(view.paidAt).toBeNull();
    expect((await casesOf(due.paymentId)).map((x) => [x.type, x.status])).toEqual([
      [caseType, "open"],
    ]);
  });

  it("a complete success is paid at M-Pesa's TransactionDate, with the decision time kept apart", async () => {
    const due = await pending();
    await postStkCallback(app, successBody(due.checkoutRequestId, good(nextReceipt())));
    const [row] = await app.ctx.db.select().from(payments).where(eq(payments.id, due.paymentId));
    expect(row.status).toBe("paid");
    expect(row.paidAt?.toISOString()).toBe("2026-11-30T07:15:39.000Z"); // 10:15:39 EAT
    expect(row.paidRecordedAt!.getTime()).toBeGreaterThan(row.paidAt!.getTime());
  });
});

describe("STK Query answers are bound to what we asked", () => {
  it("an answer echoing another CheckoutRequestID is an error, never a final answer", () => {
    const answer = bindQueryAnswer("ws_CO_ours", {
      kind: "final",
      resultCode: "0",
      resultDesc: "ok",
      checkoutRequestId: "ws_CO_someone_else",
    });
    expect(answer.kind).toBe("error");
    expect(answer.kind === "error" && answer.error.message).toMatch(/another CheckoutRequestID/);
    expect(
      bindQueryAnswer("ws_CO_ours", {
        kind: "final",
        resultCode: "0",
        resultDesc: "",
        checkoutRequestId: "ws_CO_ours",
      }).kind,
    ).toBe("final");
    expect(
      bindQueryAnswer("ws_CO_ours", { kind: "final", resultCode: "0", resultDesc: "" }).kind,
    ).toBe("error");
  });
});

describe("a receipt that arrives after the query said paid", () => {
  it("with the requested amount: attached, and the status reason says so", async () => {
    const due = await pending();
    await queryPaid(due);
    const r = nextReceipt();
    await postStkCallback(
      app,
      stkCallbackBody({ checkoutRequestId: due.checkoutRequestId, receipt: r, amount: AMOUNT }),
    );
    const [row] = await app.ctx.db.select().from(payments).where(eq(payments.id, due.paymentId));
    expect(row).toMatchObject({ status: "paid", receipt: r, receiptPending: false });
    expect(row.statusReason).toBe(`Paid, receipt ${r}`);
  });

  it.each(["callback", "c2b", "statement"] as const)(
    "with another amount by %s: amount_mismatch, and the payment leaves paid",
    async (source) => {
      const due = await pending();
      await queryPaid(due);
      const r = nextReceipt();
      if (source === "callback")
        await postStkCallback(
          app,
          stkCallbackBody({ checkoutRequestId: due.checkoutRequestId, receipt: r, amount: 10 }),
        );
      else
        await app.ctx.db.transaction((tx) =>
          applyReceiptMatch(tx, DARAJA_ACTOR, {
            paymentId: due.paymentId,
            receipt: r,
            amountKes: 10,
            transactionAt: new Date(),
            source,
            confirmedByStaff: false,
            evidence: source,
            now: new Date(),
          }),
        );
      const [row] = await app.ctx.db.select().from(payments).where(eq(payments.id, due.paymentId));
      expect(row.status).toBe("unknown");
      expect((await casesOf(due.paymentId)).map((x) => x.type)).toEqual(["amount_mismatch"]);
    },
  );
});

describe("one fact, one case", () => {
  it("a wrong amount seen in the callback and again on the statement is one case, counted once", async () => {
    const due = await pending();
    const r = nextReceipt();
    await postStkCallback(
      app,
      stkCallbackBody({ checkoutRequestId: due.checkoutRequestId, receipt: r, amount: 700 }),
    );
    await app.ctx.db.transaction((tx) =>
      applyReceiptMatch(tx, DARAJA_ACTOR, {
        paymentId: due.paymentId,
        receipt: r,
        amountKes: 700,
        transactionAt: new Date(),
        source: "statement",
        confirmedByStaff: false,
        evidence: "statement line",
        now: new Date(),
      }),
    );
    const cases = await casesOf(due.paymentId);
    expect(cases.map((x) => [x.type, x.amountAtStakeKes])).toEqual([["amount_mismatch", 700]]);
  });

  it("a lost push answer and its orphan callback are linked, and the money at stake is counted once", async () => {
    const phone = "254708000016";
    const [due] = await insertDueAttempts(app.ctx.db, [`ws_CO_lost_${Date.now()}`], {
      amountKes: AMOUNT,
      phone,
    });
    // The push's answer was lost: no CheckoutRequestID, outcome unknown, a case.
    await app.ctx.db
      .update(stkAttempts)
      .set({ checkoutRequestId: null, status: "unknown" })
      .where(eq(stkAttempts.id, due.attemptId));
    await app.ctx.db.insert(exceptions).values({
      type: "unknown_outcome",
      dedupeKey: `unknown_outcome:${due.attemptId}:push`,
      paymentId: due.paymentId,
      attemptId: due.attemptId,
      amountAtStakeKes: AMOUNT,
      summary: "No answer to the push",
    });
    await postStkCallback(
      app,
      stkCallbackBody({
        checkoutRequestId: `ws_CO_orphan_${Date.now()}`,
        receipt: nextReceipt(),
        amount: AMOUNT,
        phone,
      }),
    );
    const open = await app.ctx.db.select().from(exceptions).where(eq(exceptions.status, "open"));
    const orphan = open.find(
      (x) =>
        x.type === "orphan_callback" && (x.details as any)?.suggestedPaymentId === due.paymentId,
    )!;
    const lost = open.find((x) => x.paymentId === due.paymentId && x.type === "unknown_outcome")!;
    expect(orphan).toBeDefined();
    expect((lost.details as any).relatedCaseId).toBe(orphan.id);
    expect(orphan.amountAtStakeKes + lost.amountAtStakeKes).toBe(AMOUNT);
  });
});

describe("re-send is refused while money may be recorded", () => {
  it.each([
    ["a late success after a cancel", "late"],
    ["a wrong amount", "mismatch"],
    ["an incomplete success (outcome unknown)", "incomplete"],
  ])("%s: 409 with a reason, and no new attempt", async (_, kind) => {
    const support = actorFor(await makeUser(app.ctx, "support"));
    const due = await pending();
    const id = due.checkoutRequestId;
    if (kind === "late") {
      await postStkCallback(app, stkCallbackBody({ checkoutRequestId: id, resultCode: 1032 }));
      await postStkCallback(
        app,
        stkCallbackBody({ checkoutRequestId: id, receipt: nextReceipt(), amount: AMOUNT }),
      );
    } else if (kind === "mismatch") {
      await postStkCallback(
        app,
        stkCallbackBody({ checkoutRequestId: id, receipt: nextReceipt(), amount: 5 }),
      );
    } else {
      await postStkCallback(
        app,
        successBody(id, [{ Name: "MpesaReceiptNumber", Value: nextReceipt() }]),
      );
    }
    await expect(
      resendPrompt(app.ctx, due.paymentId, { reason: "customer asked" }, support),
    ).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(
        /charge the customer twice|may have paid|money may have arrived/,
      ),
    });
    const attempts = await app.ctx.db
      .select()
      .from(stkAttempts)
      .where(eq(stkAttempts.paymentId, due.paymentId));
    expect(attempts).toHaveLength(1);
  });
});
