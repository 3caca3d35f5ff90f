// The merchant JSON API: Bearer keys with roles, Idempotency-Key, error envelopes, pagination.
import { revokeApiKey } from "../../app/modules/auth/api-keys.server";
import * as callbacksApi from "../../app/routes/api.callbacks";
import * as exceptionsApi from "../../app/routes/api.exceptions";
import * as paymentApi from "../../app/routes/api.payments.$paymentId";
import * as paymentsApi from "../../app/routes/api.payments";
import { startTestApp, type TestApp } from "../support/app";
import { actorFor, makeApiKey, makeUser, orderRef, PHONES, signedIn } from "../support/factories";
import { call, get, jsonOf, postJson } from "../support/routes";

let app: TestApp;
let key: string;
beforeAll(async () => {
  app = await startTestApp();
  key = (await makeApiKey(app.ctx, "support")).key;
});
afterAll(async () => app?.close());

const create = (body: unknown, headers: Record<string, string> = {}, bearer = key) =>
  call(paymentsApi.action, app.ctx, postJson("/api/payments", body, { bearer, headers }));

describe("API keys", () => {
  it("a valid key with the right role creates a payment: 201 with the payment", async () => {
    const response = await create({
      orderRef: orderRef("API"),
      amount: 120,
      phone: "0712 345 678",
      description: "Order 1",
    });
    expect(response.status).toBe(201);
    const { payment } = await jsonOf(response);
    expect(payment).toMatchObject({
      status: "pending",
      amount: 120,
      phone: "254712345678",
      attempts: [expect.objectContaining({ checkoutRequestId: expect.stringMatching(/^ws_CO_/) })],
    });
  });

  it("no key, an unknown key, or a revoked key is a 401", async () => {
    expect((await call(paymentsApi.action, app.ctx, postJson("/api/payments", {}))).status).toBe(
      401,
    );
    expect((await create({}, {}, "mck_not-a-real-key")).status).toBe(401);
    const admin = actorFor(await makeUser(app.ctx, "admin"));
    const revoked = await makeApiKey(app.ctx, "support");
    await revokeApiKey(app.ctx.db, revoked.apiKey.id, admin);
    const response = await create(
      { orderRef: orderRef(), amount: 5, phone: PHONES.pays },
      {},
      revoked.key,
    );
    expect(response.status).toBe(401);
    expect((await jsonOf(response)).error.code).toBe("unauthorized");
  });

  it("a key whose role may not request payments is a 403 (a manager key can read)", async () => {
    const manager = await makeApiKey(app.ctx, "manager");
    expect(
      (await create({ orderRef: orderRef(), amount: 5, phone: PHONES.pays }, {}, manager.key))
        .status,
    ).toBe(403);
    expect(
      (await call(paymentsApi.loader, app.ctx, get("/api/payments", { bearer: manager.key })))
        .status,
    ).toBe(200);
  });
});

describe("validation", () => {
  it("answers 400 with { error: { code, message, field } } a support agent can read", async () => {
    const response = await create({ orderRef: orderRef(), amount: 100, phone: "0612345" });
    expect(response.status).toBe(400);
    const { error } = await jsonOf(response);
    expect(error).toMatchObject({ code: "invalid_request", field: "phone" });
    expect(error.message).toMatch(/phone/i);
  });

  it('takes the amount as a JSON number only: text such as "1,250" or "1250" is refused by name', async () => {
    for (const amount of ["1,250", "1250", 12.5]) {
      const response = await create({ orderRef: orderRef(), amount, phone: PHONES.pays });
      expect(response.status).toBe(400);
      expect((await jsonOf(response)).error).toMatchObject({
        code: "invalid_request",
        field: "amount",
        message:
          typeof amount === "string"
            ? expect.stringMatching(/JSON number/)
            : expect.stringMatching(/whole shillings/),
      });
    }
  });

  it.each([
    ["/api/payments", paymentsApi.loader, 200],
    ["/api/callbacks", callbacksApi.loader, 200],
    ["/api/exceptions", exceptionsApi.loader, 200],
  ] as const)(
    "%s?limit= out of range or not a number: 400 saying the range",
    async (path, loader, max) => {
      const admin = (await makeApiKey(app.ctx, "admin")).key;
      for (const limit of ["0", "500", "ten", "2.5"]) {
        const response = await call(
          loader,
          app.ctx,
          get(`${path}?limit=${limit}`, { bearer: admin }),
        );
        expect(response.status).toBe(400);
        expect((await jsonOf(response)).error).toMatchObject({
          field: "limit",
          message: `limit must be a whole number from 1 to ${max}.`,
        });
      }
    },
  );

  it("answers 400 for a body that is not JSON", async () => {
    const response = await call(
      paymentsApi.action,
      app.ctx,
      postJson("/api/payments", "{oops", { bearer: key }),
    );
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error.code).toBe("invalid_json");
  });
});

describe("Idempotency-Key", () => {
  it("replays the first response for the same key and body without a second prompt", async () => {
    const body = { orderRef: orderRef("IDEM"), amount: 90, phone: PHONES.neverResolves };
    const first = await create(body, { "Idempotency-Key": "k-1" });
    const pushesBefore: number = (await app.control("state")).counts.pushes;
    const second = await create(body, { "Idempotency-Key": "k-1" });
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect((await jsonOf(second)).payment.id).toBe((await jsonOf(first)).payment.id);
    const state = await app.control("state");
    expect(state.counts.pushes).toBe(pushesBefore);
    const list = await jsonOf(
      await call(
        paymentsApi.loader,
        app.ctx,
        get(`/api/payments?orderRef=${body.orderRef}`, { bearer: key }),
      ),
    );
    expect(list.payments).toHaveLength(1);
  });

  it("answers 422 for the same key with a different body", async () => {
    await create(
      { orderRef: orderRef("IDEM"), amount: 90, phone: PHONES.neverResolves },
      { "Idempotency-Key": "k-2" },
    );
    const response = await create(
      { orderRef: orderRef("IDEM"), amount: 91, phone: PHONES.neverResolves },
      { "Idempotency-Key": "k-2" },
    );
    expect(response.status).toBe(422);
    expect((await jsonOf(response)).error.code).toBe("idempotency_key_reused");
  });

  it("keeps keys apart between merchants", async () => {
    const other = await makeApiKey(app.ctx, "support");
    const a = await create(
      { orderRef: orderRef("IDEM"), amount: 30, phone: PHONES.neverResolves },
      { "Idempotency-Key": "shared" },
    );
    const b = await create(
      { orderRef: orderRef("IDEM"), amount: 31, phone: PHONES.neverResolves },
      { "Idempotency-Key": "shared" },
      other.key,
    );
    expect([a.status, b.status]).toEqual([201, 201]);
  });
});

describe("one open prompt per order", () => {
  it("answers 409 with the existing payment", async () => {
    const ref = orderRef("DUP");
    const first = await jsonOf(
      await create({ orderRef: ref, amount: 70, phone: PHONES.neverResolves }),
    );
    const response = await create({ orderRef: ref, amount: 70, phone: PHONES.neverResolves });
    expect(response.status).toBe(409);
    const { error } = await jsonOf(response);
    expect(error).toMatchObject({
      code: "order_open",
      details: { payment: { id: first.payment.id } },
    });
  });
});

describe("reading", () => {
  it("pages through payments with a cursor and filters by status and phone", async () => {
    for (let i = 0; i < 3; i++)
      await create({ orderRef: orderRef("PAGE"), amount: 10 + i, phone: "0708000012" });
    const first = await jsonOf(
      await call(
        paymentsApi.loader,
        app.ctx,
        get("/api/payments?limit=2&phone=0708000012", { bearer: key }),
      ),
    );
    expect(first.payments).toHaveLength(2);
    expect(first.nextCursor).toBeTruthy();
    const second = await jsonOf(
      await call(
        paymentsApi.loader,
        app.ctx,
        get(`/api/payments?limit=2&phone=0708000012&cursor=${first.nextCursor}`, { bearer: key }),
      ),
    );
    const ids = [...first.payments, ...second.payments].map((p: { id: string }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const bad = await call(
      paymentsApi.loader,
      app.ctx,
      get("/api/payments?status=settled", { bearer: key }),
    );
    expect(bad.status).toBe(400);
  });

  it("GET /api/payments/:id has attempts, timeline and open exceptions; unknown ids are 404", async () => {
    const { payment } = await jsonOf(
      await create({ orderRef: orderRef("ONE"), amount: 10, phone: PHONES.hangs }),
    );
    const response = await call(
      paymentApi.loader,
      app.ctx,
      get(`/api/payments/${payment.id}`, { bearer: key }),
      { paymentId: payment.id },
    );
    const view = (await jsonOf(response)).payment;
    expect(view.openExceptions).toEqual([expect.objectContaining({ type: "unknown_outcome" })]);
    expect(view.timeline.length).toBeGreaterThan(1);
    expect(
      (
        await call(paymentApi.loader, app.ctx, get("/api/payments/x", { bearer: key }), {
          paymentId: "x",
        })
      ).status,
    ).toBe(404);
  }, 20_000);

  it("lets signed-in staff read the API with their session, within their role", async () => {
    const support = await signedIn(app.ctx, "support");
    expect(
      (await call(paymentsApi.loader, app.ctx, get("/api/payments", { cookie: support.cookie })))
        .status,
    ).toBe(200);
    expect(
      (await call(callbacksApi.loader, app.ctx, get("/api/callbacks", { cookie: support.cookie })))
        .status,
    ).toBe(403);
    const finance = await signedIn(app.ctx, "finance");
    const callbacks = await jsonOf(
      await call(
        callbacksApi.loader,
        app.ctx,
        get("/api/callbacks?outcome=applied", { cookie: finance.cookie }),
      ),
    );
    expect(Array.isArray(callbacks.callbacks)).toBe(true);
    const open = await jsonOf(
      await call(
        exceptionsApi.loader,
        app.ctx,
        get("/api/exceptions?type=unknown_outcome", { cookie: finance.cookie }),
      ),
    );
    expect(open.exceptions.every((x: { type: string }) => x.type === "unknown_outcome")).toBe(true);
  });
});
