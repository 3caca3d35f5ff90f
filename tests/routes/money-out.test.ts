// The payment page's money-out intents through the real route: who may use them, the four-eyes
// reversal over two finance sessions, what the loader shows each role, and the admin's reversal cap.
import * as settingsRoute from "../../app/routes/_console.admin.settings";
import * as paymentRoute from "../../app/routes/_console.payments.$paymentId";
import * as resultHook from "../../app/routes/hooks.daraja.$api.result.$token";
import { startTestApp, waitFor, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { paidPayment } from "../support/reconciliation";
import { call, get, postForm } from "../support/routes";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const post = (
  s: Awaited<ReturnType<typeof signedIn>>,
  paymentId: string,
  fields: Record<string, string>,
) =>
  call(
    paymentRoute.action,
    app.ctx,
    postForm(`/payments/${paymentId}`, fields, { cookie: s.cookie, csrf: s.csrf }),
    { paymentId },
  );
const load = async (s: Awaited<ReturnType<typeof signedIn>>, paymentId: string) =>
  (await call(paymentRoute.loader, app.ctx, get(`/payments/${paymentId}`, { cookie: s.cookie }), {
    paymentId,
  }).then((r) => r.json())) as {
    payment: { status: string };
    moneyOut: null | {
      reversalRefusal: string | null;
      requests: { id: string; state: string; mine: boolean }[];
    };
  };

it("support can act on a payment but not reverse it; finance requests, another finance approves", async () => {
  const support = await signedIn(app.ctx, "support");
  const financeA = await signedIn(app.ctx, "finance");
  const financeB = await signedIn(app.ctx, "finance");
  const payment = await paidPayment(app, support.actor, { amount: 75 });

  expect((await load(support, payment.id)).moneyOut).toBeNull();
  const refused = await post(support, payment.id, {
    intent: "reversal_request",
    reason: "Support tries",
  });
  expect(refused.status).toBe(403);

  expect((await load(financeA, payment.id)).moneyOut?.reversalRefusal).toBeNull();
  const tooShort = await post(financeA, payment.id, { intent: "reversal_request", reason: "no" });
  expect(tooShort.status).toBe(400);
  const asked = await post(financeA, payment.id, {
    intent: "reversal_request",
    reason: "Order cancelled",
  });
  expect(asked.status).toBe(200);
  const [request] = (await load(financeA, payment.id)).moneyOut!.requests;
  expect(request).toMatchObject({ state: "awaiting_approval", mine: true });

  const own = await post(financeA, payment.id, {
    intent: "reversal_approve",
    requestId: request.id,
  });
  expect(own.status).toBe(403);
  expect(await own.json()).toMatchObject({ error: { code: "four_eyes" } });

  const approved = await post(financeB, payment.id, {
    intent: "reversal_approve",
    requestId: request.id,
  });
  expect(approved.status).toBe(200);
  await waitFor(async () => (await load(financeB, payment.id)).payment.status === "refunded", 8000);
  expect((await load(financeB, payment.id)).moneyOut!.requests[0]).toMatchObject({
    state: "completed",
    mine: false,
  });
});

it("the result hooks refuse a wrong token and an unknown API, and only take POST", async () => {
  const body = JSON.stringify({ Result: { ResultCode: 0, ConversationID: "AG_x" } });
  const hook = (api: string, token: string) =>
    call(
      resultHook.action,
      app.ctx,
      new Request(`http://console.test/hooks/daraja/${api}/result/${token}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      }),
      { api, token },
    );
  expect((await hook("status", "wrong-token")).status).toBe(404);
  expect((await hook("b2c", "test-callback-token")).status).toBe(404);
  expect((await hook("status", "test-callback-token")).status).toBe(200);
  // Stored and applied off the request path: a result for no request of ours waits, unapplied.
  await app.ctx.callbackQueue.idle();
  const get405 = await call(resultHook.loader, app.ctx, get("/hooks/daraja/status/result/x"), {});
  expect(get405.status).toBe(405);
});

it("an admin sets the reversal cap on the Settings page; a cap that is not a whole number is refused and the cap stays", async () => {
  const admin = await signedIn(app.ctx, "admin");
  const setCap = (capKes: string) =>
    call(
      settingsRoute.action,
      app.ctx,
      postForm(
        "/admin/settings",
        { intent: "reversal_cap", capKes },
        { cookie: admin.cookie, csrf: admin.csrf },
      ),
      {},
    );
  const capShown = async () =>
    (
      (await call(
        settingsRoute.loader,
        app.ctx,
        get("/admin/settings", { cookie: admin.cookie }),
        {},
      ).then((r) => r.json())) as { moneyOut: { reversalCapKes: number } }
    ).moneyOut.reversalCapKes;

  const saved = await setCap("2500");
  expect(saved.status).toBe(200);
  expect(await saved.json()).toMatchObject({ ok: true, message: expect.stringContaining("2,500") });
  expect(await capShown()).toBe(2500);

  const refused = await setCap("12.50");
  expect(refused.status).toBe(400);
  expect(await refused.json()).toMatchObject({
    ok: false,
    error: { field: "capKes", message: expect.stringContaining("whole number") },
  });
  expect(await capShown()).toBe(2500);
});
