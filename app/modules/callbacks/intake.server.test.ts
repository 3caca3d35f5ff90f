// Callback intake through the real route: the raw row is stored whatever arrives, every malformed
// shape is answered 200 and marked, and processing is idempotent under concurrency.
import { and, eq } from "drizzle-orm";
import { exceptions, rawCallbacks, receipts } from "../../../db/schema";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  waitFor,
  type TestApp,
} from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { Actor } from "../auth/staff-audit.server";
import { initiatePayment } from "../payments/initiate.server";
import { getPaymentView } from "../payments/queries.server";

let app: TestApp;
let actor: Actor;
let releasePush: (() => void) | null = null;
let holdNextPush = false;

beforeAll(async () => {
  app = await startTestApp({
    // Holds Daraja's push response back on request, to let the callback win the race
    // (docs/daraja.md#callback-before-response).
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (holdNextPush && String(input).endsWith("/mpesa/stkpush/v1/processrequest")) {
        holdNextPush = false;
        await new Promise<void>((resolve) => {
          releasePush = resolve;
        });
      }
      return response;
    },
  });
  actor = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

async function lastRaw() {
  const rows = await app.ctx.db.select().from(rawCallbacks).orderBy(rawCallbacks.id);
  return rows[rows.length - 1];
}

async function pendingPayment(amount = 100) {
  const payment = await initiatePayment(
    app.ctx,
    { orderRef: orderRef(), amount, phone: PHONES.neverResolves },
    actor,
  );
  return { payment, checkoutRequestId: payment.attempts[0].checkoutRequestId! };
}

describe("malformed input is stored and answered", () => {
  it.each([
    ["invalid JSON", "{not json", /invalid JSON/],
    ["a body without Body", JSON.stringify({ hello: "world" }), /missing Body/],
    ["an empty body", "", /empty/],
    ["a JSON array", "[]", /body is an array, not a JSON object/],
  ])("%s → 200, raw row kept byte for byte, outcome invalid", async (_name, body, detail) => {
    const response = await postStkCallback(app, body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ResultCode: 0, ResultDesc: "Accepted" });
    const raw = await lastRaw();
    expect(Buffer.from(raw.body).toString("utf8")).toBe(body);
    expect(raw.outcome).toBe("invalid");
    expect(raw.outcomeDetail).toMatch(detail);
  });

  it("keeps bytes that are not valid UTF-8 exactly", async () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    expect((await postStkCallback(app, bytes)).status).toBe(200);
    const raw = await lastRaw();
    expect([...raw.body]).toEqual([...bytes]);
    expect(raw.outcome).toBe("invalid");
  });

  it("refuses a body over 64 KB with 413 and records it as refused", async () => {
    const huge = JSON.stringify({ Body: { pad: "x".repeat(70 * 1024) } });
    const response = await postStkCallback(app, huge);
    expect(response.status).toBe(413);
    const raw = await lastRaw();
    expect(raw).toMatchObject({ outcome: "refused", sizeBytes: huge.length });
    expect(raw.body.byteLength).toBe(64 * 1024);
  });

  it("answers a wrong token with 404 and still records the request as rejected", async () => {
    const { checkoutRequestId } = await pendingPayment();
    const response = await postStkCallback(app, stkCallbackBody({ checkoutRequestId }), {
      token: "wrong-token-123",
    });
    expect(response.status).toBe(404);
    const raw = await lastRaw();
    expect(raw).toMatchObject({ outcome: "rejected", tokenValid: false });
    expect(raw.checkoutRequestId).toBeNull(); // never applied
  });

  it('accepts ResultCode as a string and Amount as "1.00"', async () => {
    const { payment, checkoutRequestId } = await pendingPayment(1);
    const body = stkCallbackBody({
      checkoutRequestId,
      resultCode: "0",
      amount: "1.00",
      receipt: "TKL1AB2CD3",
    });
    expect((await postStkCallback(app, body)).status).toBe(200);
    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view).toMatchObject({ status: "paid", receipt: "TKL1AB2CD3" });
  });

  it("refuses a success without a receipt as proof of payment", async () => {
    const { payment, checkoutRequestId } = await pendingPayment();
    const body = JSON.parse(stkCallbackBody({ checkoutRequestId }));
    body.Body.stkCallback.CallbackMetadata.Item =
      body.Body.stkCallback.CallbackMetadata.Item.filter(
        (i: { Name: string }) => i.Name !== "MpesaReceiptNumber",
      );
    await postStkCallback(app, JSON.stringify(body));
    // Not paid: the outcome is unknown (the customer may have paid) and a person looks at it.
    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view.status).toBe("unknown");
    expect(view.receipts).toEqual([]);
    expect(view.openExceptions.map((x) => x.type)).toEqual(["conflicting_callback"]);
    expect((await lastRaw()).outcome).toBe("conflict");
  });
});

describe("orphans", () => {
  it("stores an unknown CheckoutRequestID as an orphan with its money in front of a person", async () => {
    const body = stkCallbackBody({
      checkoutRequestId: "ws_CO_24112025101512345799999999",
      amount: 730,
      receipt: "TKL9ORPHAN",
    });
    expect((await postStkCallback(app, body)).status).toBe(200);
    expect((await lastRaw()).outcome).toBe("orphan");
    const [x] = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.receipt, "TKL9ORPHAN"));
    expect(x).toMatchObject({ type: "orphan_callback", amountAtStakeKes: 730, status: "open" });
    const [r] = await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, "TKL9ORPHAN"));
    expect(r).toMatchObject({ amountKes: 730, paymentId: null });
  });

  it("re-matches a callback that beat Daraja's own push response, and closes its orphan exception", async () => {
    holdNextPush = true;
    const pending = initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 100, phone: PHONES.pays },
      actor,
    );
    // The simulator pays after its latency; the push response is still held, so the callback is an orphan.
    const orphan = await waitFor(async () => {
      const raw = await lastRaw();
      return raw?.outcome === "orphan" && raw.checkoutRequestId?.endsWith("708000001") ? raw : null;
    });
    releasePush!();
    const payment = await pending;
    const view = await waitFor(async () => {
      const v = await getPaymentView(app.ctx.db, payment.id);
      return v?.status === "paid" ? v : null;
    });
    expect(view.receipt).toBe(orphan.receipt);
    const [x] = await app.ctx.db
      .select()
      .from(exceptions)
      .where(and(eq(exceptions.type, "orphan_callback"), eq(exceptions.rawCallbackId, orphan.id)));
    expect(x).toMatchObject({
      status: "resolved",
      resolution: "auto_rematched",
      paymentId: payment.id,
    });
    const [again] = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.id, orphan.id));
    expect(again.outcome).toBe("applied");
  });
});

describe("duplicates and conflicts", () => {
  it("records another receipt already owned by a different payment as duplicate_receipt", async () => {
    const a = await pendingPayment(100);
    const b = await pendingPayment(100);
    await postStkCallback(
      app,
      stkCallbackBody({ checkoutRequestId: a.checkoutRequestId, receipt: "TKL5DUPL01" }),
    );
    await postStkCallback(
      app,
      stkCallbackBody({ checkoutRequestId: b.checkoutRequestId, receipt: "TKL5DUPL01" }),
    );
    expect((await getPaymentView(app.ctx.db, a.payment.id))!.status).toBe("paid");
    expect((await getPaymentView(app.ctx.db, b.payment.id))!.status).toBe("pending");
    const xs = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.paymentId, b.payment.id));
    expect(xs.map((x) => x.type)).toEqual(["duplicate_receipt"]);
  });
});

describe("source allow-list", () => {
  it("holds a success from an address outside MPESA_CALLBACK_ALLOWED_IPS until STK Query confirms it", async () => {
    const guarded = await startTestApp({ env: { MPESA_CALLBACK_ALLOWED_IPS: "196.201.214.200" } });
    try {
      const user = actorFor(await makeUser(guarded.ctx, "support"));
      const payment = await initiatePayment(
        guarded.ctx,
        { orderRef: orderRef(), amount: 100, phone: PHONES.neverResolves },
        user,
      );
      const id = payment.attempts[0].checkoutRequestId!;
      await postStkCallback(
        guarded,
        stkCallbackBody({ checkoutRequestId: id, receipt: "TKL7UNTRST" }),
      );
      const view = (await getPaymentView(guarded.ctx.db, payment.id))!;
      expect(view.status).toBe("pending");
      expect(view.attempts[0].nextPollAt).not.toBeNull();
      const [raw] = await guarded.ctx.db
        .select()
        .from(rawCallbacks)
        .where(eq(rawCallbacks.checkoutRequestId, id));
      expect(raw).toMatchObject({
        sourceTrusted: false,
        outcomeDetail: expect.stringContaining("untrusted"),
      });
    } finally {
      await guarded.close();
    }
  });
});
