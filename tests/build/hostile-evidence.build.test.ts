// Hostile or broken evidence against the BUILT server. Money moves only on
// complete evidence: ResultCode 0 + an M-Pesa-shaped receipt (10 upper-case letters and digits) + the
// requested whole-shilling amount. Anything less is stored, answered 200 (Daraja cannot fix it), leaves
// the payment unpaid (`unknown`, in front of a person) with an open case, and stays out of revenue.
// An STK Query answer naming another payment's CheckoutRequestID never pays ours.
import { freePort, startSuiteServer, waitFor, type BuiltServer } from "./support/server";
import { startDarajaForger, type DarajaForger } from "./support/daraja-forger";
import {
  getPayment,
  newReceipt,
  pendingPayment,
  postStkCallback,
  processedCallbacks,
  revenue,
  settled,
  signInAgent,
  stkCallbackBody,
  successCallbackFor,
  successItems,
  type Payment,
  type RawItem,
} from "./support/flows";

let s: BuiltServer;
let forger: DarajaForger;
beforeAll(async () => {
  const simulatorPort = await freePort();
  forger = await startDarajaForger(simulatorPort);
  s = await startSuiteServer({
    label: "hostile-evidence",
    simulatorPort,
    env: {
      DARAJA_BASE_URL: forger.url,
      START_SIMULATOR: "true",
      // Queries happen when the test asks ("Check status now"), never behind its back.
      POLL_FIRST_AFTER_S: "3600",
      POLL_GIVE_UP_AFTER_S: "7200",
    },
    // Handset prompts stay open for the whole file: no 1037 arrives on its own.
    simConfig: { promptTimeoutMs: 600_000 },
  });
});
afterAll(async () => {
  await s?.stop();
  await forger?.close();
});

const AMOUNT = 150;

/** The success items with one of them replaced (value = raw JSON text) or removed (value = null). */
function itemsWith(name: string, value: string | null | { noValue: true }, receipt = newReceipt()) {
  const items = successItems(AMOUNT, receipt);
  const index = items.findIndex((i) => i.name === name);
  if (value === null) items.splice(index, 1);
  else if (typeof value === "object") items[index] = { name };
  else items[index] = { name, value };
  return items;
}

async function forge(items: RawItem[]): Promise<{ payment: Payment; status: number }> {
  const payment = await pendingPayment(s, AMOUNT);
  const res = await postStkCallback(s, successCallbackFor(payment, "unused", items));
  await processedCallbacks(s, payment.attempts[0].checkoutRequestId!, 1);
  return { payment: await getPayment(s, payment.id), status: res.status };
}

describe("a complete success callback (the control)", () => {
  it("pays: paid with the receipt, counted once in revenue", async () => {
    const before = await revenue(s);
    const receipt = newReceipt();
    const payment = await pendingPayment(s, AMOUNT);
    const res = await postStkCallback(s, successCallbackFor(payment, receipt));
    expect(res.status).toBe(200);
    const paid = await settled(s, payment.id, "paid");
    expect(paid.receipt).toBe(receipt);
    expect(await revenue(s)).toEqual({
      revenueKes: before.revenueKes + AMOUNT,
      paidPayments: before.paidPayments + 1,
    });
  });
});

describe("a ResultCode 0 callback with unusable evidence is stored, answered 200, and pays nothing", () => {
  const cases: [string, string, RawItem[]][] = [
    ["no Amount item", "conflicting_callback", itemsWith("Amount", null)],
    ["an Amount item without a Value", "conflicting_callback", itemsWith("Amount", { noValue: true })],
    ["an Amount of null", "conflicting_callback", itemsWith("Amount", "null")],
    ["an Amount that is text", "conflicting_callback", itemsWith("Amount", '"one hundred fifty"')],
    ["a negative Amount", "conflicting_callback", itemsWith("Amount", "-150")],
    ["a fractional Amount", "conflicting_callback", itemsWith("Amount", "150.5")],
    ["an astronomically large Amount", "conflicting_callback", itemsWith("Amount", "1e308")],
    ["an Amount too large for a double", "conflicting_callback", itemsWith("Amount", "99999999999999999999999999999999")],
    ["an Amount that is an object", "conflicting_callback", itemsWith("Amount", '{"Value":150}')],
    ["an Amount that is an array", "conflicting_callback", itemsWith("Amount", "[150]")],
    ["a whole Amount other than requested (149)", "amount_mismatch", itemsWith("Amount", "149")],
    ["a whole Amount other than requested (1500)", "amount_mismatch", itemsWith("Amount", "1500")],
    ["no MpesaReceiptNumber item", "conflicting_callback", itemsWith("MpesaReceiptNumber", null)],
    ["an empty receipt", "conflicting_callback", itemsWith("MpesaReceiptNumber", '""')],
    ["a lower-case receipt", "conflicting_callback", itemsWith("MpesaReceiptNumber", '"ubs1234abc"')],
    ["a 9-character receipt", "conflicting_callback", itemsWith("MpesaReceiptNumber", '"UBS123456"')],
    ["an 11-character receipt", "conflicting_callback", itemsWith("MpesaReceiptNumber", '"UBS12345678"')],
    ["a receipt with punctuation", "conflicting_callback", itemsWith("MpesaReceiptNumber", '"UBS-234567"')],
    ["a receipt that is an object", "conflicting_callback", itemsWith("MpesaReceiptNumber", '{"Value":"UBS1234567"}')],
  ];

  it.each(cases)("%s → 200, unknown, an open %s case, not in revenue", async (_, caseType, items) => {
    const before = await revenue(s);
    const { payment, status } = await forge(items);
    expect(status).toBe(200);
    expect(payment.status, payment.statusReason ?? "").toBe("unknown");
    expect(payment.receipt).toBeNull();
    expect(payment.openExceptions.map((x) => x.type)).toContain(caseType);
    expect(await revenue(s)).toEqual(before);
  });
});

describe("malformed or unauthenticated callbacks leave the payment as it was", () => {
  it("a wrong token in the hook URL: 404, and the payment stays pending", async () => {
    const before = await revenue(s);
    const payment = await pendingPayment(s, AMOUNT);
    const res = await fetch(`${s.baseUrl}/hooks/daraja/stk/not-the-token-${Date.now()}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: successCallbackFor(payment, newReceipt()),
    });
    expect(res.status).toBe(404);
    expect((await getPayment(s, payment.id)).status).toBe("pending");
    expect(await revenue(s)).toEqual(before);
  });

  it("a /hooks path no hook has (a probe, a token left out): the not-found page, not an error", async () => {
    for (const path of ["/hooks/nope", "/hooks/daraja/stk", "/HOOKS/daraja/stk/a/b"]) {
      const page = await fetch(`${s.baseUrl}${path}`);
      expect(page.status, path).toBe(404);
      // A POST there is the same as a POST to any page without a form: 405, and no error logged.
      const post = await fetch(`${s.baseUrl}${path}`, { method: "POST", body: "{}" });
      expect(post.status, path).toBe(405);
    }
  });

  it("a body that is not JSON: 200 (stored for the record), and the payment stays pending", async () => {
    const before = await revenue(s);
    const payment = await pendingPayment(s, AMOUNT);
    const body = successCallbackFor(payment, newReceipt()).slice(0, -3);
    const res = await postStkCallback(s, body);
    expect(res.status).toBe(200);
    // Stored first, then read off the request path: it ends `invalid` once the reader has seen it.
    await waitFor(async () => {
      const invalid = await s.api<{ callbacks: { body: string }[] }>(
        "/api/callbacks?outcome=invalid&limit=200",
      );
      return invalid.body.callbacks.some((c) => c.body === body);
    }, "the stored body marked invalid");
    expect((await getPayment(s, payment.id)).status).toBe("pending");
    expect(await revenue(s)).toEqual(before);
  });

  it("a callback for a CheckoutRequestID nobody asked for pays nobody and opens an orphan case", async () => {
    const before = await revenue(s);
    const checkoutRequestId = `ws_CO_01012026000000000712${Date.now() % 1_000_000}`;
    const receipt = newReceipt();
    const res = await postStkCallback(
      s,
      stkCallbackBody({ checkoutRequestId, resultCode: 0, items: successItems(AMOUNT, receipt) }),
    );
    expect(res.status).toBe(200);
    await processedCallbacks(s, checkoutRequestId, 1);
    const orphans = await s.api<{ exceptions: { receipt: string | null }[] }>(
      "/api/exceptions?type=orphan_callback&status=open",
    );
    expect(orphans.body.exceptions.map((x) => x.receipt)).toContain(receipt);
    expect(await revenue(s)).toEqual(before);
  });
});

describe("text PostgreSQL cannot hold", () => {
  it("a \\u0000 in the CheckoutRequestID and ResultDesc: stored, answered 200, applied as an orphan (not retried forever)", async () => {
    const before = await revenue(s);
    const receipt = newReceipt();
    const body = stkCallbackBody({
      checkoutRequestId: `ws_CO_\u0000${Date.now() % 1_000_000}`,
      resultCode: 0,
      resultDesc: "done \ud800 \u0000",
      items: successItems(AMOUNT, receipt),
    });
    const res = await postStkCallback(s, body);
    expect(res.status).toBe(200);
    // Found by its receipt (read at intake), then applied: it reaches an outcome other than `received`.
    const row = await waitFor(async () => {
      const found = await s.api<{ callbacks: { body: string; outcome: string }[] }>(
        `/api/callbacks?receipt=${receipt}&limit=5`,
      );
      const mine = found.body.callbacks.find((c) => c.body === body);
      return mine && mine.outcome !== "received" ? mine : null;
    }, "the callback applied");
    expect(row.outcome).toBe("orphan");
    expect(await revenue(s)).toEqual(before);
  });
});

describe("STK Query answers are bound to what we asked", () => {
  it("a ResultCode 0 answer echoing another payment's CheckoutRequestID pays neither payment", async () => {
    const before = await revenue(s);
    const ours = await pendingPayment(s, AMOUNT);
    const other = await pendingPayment(s, AMOUNT);
    const asked = ours.attempts[0].checkoutRequestId!;
    forger.forgeQuery(asked, {
      checkoutRequestId: other.attempts[0].checkoutRequestId!,
      merchantRequestId: other.attempts[0].merchantRequestId!,
    });
    const agent = await signInAgent(s);
    const check = await agent.act(`/payments/${ours.id}`, "routes/_console.payments.$paymentId", {
      intent: "check",
    });
    // The check itself asked (the forger served it once) and answered the agent; nothing was paid.
    expect(check.status, JSON.stringify(check.body)).toBe(200);
    expect(forger.served(asked)).toBe(1);
    const after = await getPayment(s, ours.id);
    expect(after.status, after.statusReason ?? "").not.toBe("paid");
    expect(after.receipt).toBeNull();
    expect((await getPayment(s, other.id)).status).toBe("pending");
    expect(await revenue(s)).toEqual(before);
  });
});
