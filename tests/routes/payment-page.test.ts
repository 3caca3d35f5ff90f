// One payment's page and its actions (re-send prompt, check status now, add a note) and the request-
// payment form, through loaders and actions with real Requests: each role allowed or refused, the
// refusals a support agent meets, and a cancelled payment re-sent until the simulator's customer pays.
import { and, eq } from "drizzle-orm";
import { initiatePayment } from "../../app/modules/payments/initiate.server";
import { getPaymentView, type PaymentView } from "../../app/modules/payments/queries.server";
import * as page from "../../app/routes/_console.payments.$paymentId";
import * as requestPage from "../../app/routes/_console.payments.new";
import { staffAudit, type Role } from "../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../support/app";
import { actorFor, makeUser, orderRef, PHONES, signedIn } from "../support/factories";
import { call, get, jsonOf, postForm } from "../support/routes";

let app: TestApp;
let actor: ReturnType<typeof actorFor>;
const staff: Partial<Record<Role, Awaited<ReturnType<typeof signedIn>>>> = {};

beforeAll(async () => {
  app = await startTestApp();
  for (const role of ["admin", "finance", "support", "manager"] as const)
    staff[role] = await signedIn(app.ctx, role);
  actor = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

const settled = (id: string, status: string) =>
  waitFor(
    async () => {
      const p = await getPaymentView(app.ctx.db, id);
      return p?.status === status ? p : null;
    },
    10_000,
    `payment ${id} to become ${status}`,
  );
const pay = (phone: string, amount = 100) =>
  initiatePayment(app.ctx, { orderRef: orderRef("PAGE"), amount, phone }, actor);
const view = (id: string, role: Role) =>
  call(page.loader, app.ctx, get(`/payments/${id}`, staff[role]), { paymentId: id });
const act = (id: string, role: Role, fields: Record<string, string>) =>
  call(page.action, app.ctx, postForm(`/payments/${id}`, fields, staff[role]), { paymentId: id });
const auditOf = (paymentId: string, action: string) =>
  app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.entityId, paymentId), eq(staffAudit.action, action)));

describe("the payment page", () => {
  let payment: PaymentView;
  beforeAll(async () => {
    payment = await settled((await pay(PHONES.pays, 1250)).id, "paid");
  });

  it.each([
    ["support", "0708 ••• •01", false],
    ["manager", "0708 ••• •01", false],
    ["finance", PHONES.pays, true],
    ["admin", PHONES.pays, true],
  ] as const)("%s sees the payment with the phone as %s", async (role, phone, unmasked) => {
    const body = await jsonOf(await view(payment.id, role));
    expect(body.payment).toMatchObject({
      id: payment.id,
      status: "paid",
      phone,
      receipt: payment.receipt,
    });
    expect(body.payment.attempts[0].phone).toBe(phone);
    expect(body.payment.attempts[0].checkoutRequestId.includes("708000001")).toBe(unmasked);
    expect(body.unmasked).toBe(unmasked);
    expect(body.can.act).toBe(role !== "manager");
    expect(body.live).toBe(false);
  });

  it("shows the timeline with the raw callback linked and the resend refused because it is paid", async () => {
    const body = await jsonOf(await view(payment.id, "finance"));
    const types = body.payment.timeline.map((e: { type: string }) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["created", "push_accepted", "callback", "status_changed"]),
    );
    expect(
      body.payment.timeline.find((e: { type: string }) => e.type === "callback").rawCallbackId,
    ).toEqual(expect.any(Number));
    expect(body.can.callbacks).toBe(true);
    expect(body.resend).toMatchObject({ allowed: false, final: true });
  });

  it("answers 404 for a payment that does not exist", async () => {
    expect((await view("00000000-0000-4000-8000-000000000000", "support")).status).toBe(404);
    expect((await view("nope", "support")).status).toBe(404);
  });

  it("is live (revalidating) while the customer has not answered", async () => {
    const waiting = await pay(PHONES.handset);
    expect((await jsonOf(await view(waiting.id, "support"))).live).toBe(true);
  });
});

describe("who may act on a payment", () => {
  it.each(["resend", "check", "note"])(
    "manager is refused %s with 403, and nothing is written",
    async (intent) => {
      const payment = await pay(PHONES.handset);
      const response = await act(payment.id, "manager", {
        intent,
        reason: "trying",
        note: "hello",
      });
      expect(response.status).toBe(403);
      expect(
        (await getPaymentView(app.ctx.db, payment.id))!.timeline.some(
          (e) => e.actorType === "user" && e.type !== "created",
        ),
      ).toBe(false);
    },
  );

  it.each(["support", "finance", "admin"] as const)(
    "%s may add a note, which lands on the timeline under their name",
    async (role) => {
      const payment = await pay(PHONES.handset);
      const response = await act(payment.id, role, {
        intent: "note",
        note: "Customer called about this",
      });
      expect(response.status).toBe(200);
      expect(await jsonOf(response)).toEqual({ ok: true, message: "Note added to the timeline." });
      const note = (await getPaymentView(app.ctx.db, payment.id))!.timeline.find(
        (e) => e.type === "note",
      );
      expect(note).toMatchObject({
        actor: staff[role]!.user.name,
        summary: "Customer called about this",
      });
      expect(await auditOf(payment.id, "payment.note")).toHaveLength(1);
    },
  );

  it.each(["support", "finance", "admin"] as const)(
    "%s may check the status now: M-Pesa is asked and the answer shown",
    async (role) => {
      const payment = await pay(PHONES.lostCallback); // pays, but no callback ever comes: only the query knows
      const checkoutRequestId = payment.attempts[0].checkoutRequestId;
      await waitFor(
        async () =>
          (app.simulator.snapshot().prompts ?? []).some(
            (p) => p.checkoutRequestId === checkoutRequestId && p.status !== "pending",
          ),
        10_000,
        "the simulator to settle the prompt",
      );
      const response = await act(payment.id, role, { intent: "check" });
      expect(response.status).toBe(200);
      expect((await jsonOf(response)).message).toMatch(/M-Pesa answered .* The payment is paid/);
      expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("paid");
      expect(await auditOf(payment.id, "payment.check_status")).toHaveLength(1);
    },
  );

  it.each(["support", "finance", "admin"] as const)(
    "%s may re-send the prompt for a cancelled payment",
    async (role) => {
      const payment = await settled((await pay(PHONES.cancels)).id, "cancelled");
      const response = await act(payment.id, role, {
        intent: "resend",
        phone: "0708 000 001",
        reason: "customer pressed cancel by mistake",
      });
      expect(response.status).toBe(200);
      expect((await jsonOf(response)).message).toMatch(/Prompt sent to 0708 ••• •01/);
      await settled(payment.id, "paid");
    },
  );

  it("refuses a form without the session's CSRF token, and an unknown intent", async () => {
    const payment = await pay(PHONES.handset);
    const forged = await call(
      page.action,
      app.ctx,
      postForm(
        `/payments/${payment.id}`,
        { intent: "note", note: "x" },
        { cookie: staff.support!.cookie },
      ),
      { paymentId: payment.id },
    );
    expect(forged.status).toBe(403);
    const unknown = await act(payment.id, "support", { intent: "refund" });
    expect(unknown.status).toBe(400);
  });
});

describe("re-sending the STK prompt", () => {
  it("re-sends a cancelled payment to a corrected phone and the customer pays; the timeline and audit name the agent", async () => {
    const payment = await settled((await pay(PHONES.cancels, 480)).id, "cancelled");
    const response = await act(payment.id, "support", {
      intent: "resend",
      phone: "254708000001",
      reason: "customer gave the right number",
    });
    expect(response.status).toBe(200);
    const done = await settled(payment.id, "paid");
    expect(done.attempts.map((a) => [a.seq, a.status, a.phone])).toEqual([
      [1, "cancelled", PHONES.cancels],
      [2, "paid", PHONES.pays],
    ]);
    expect(done.timeline.find((e) => e.type === "prompt_resent")).toMatchObject({
      actor: staff.support!.user.name,
      summary: expect.stringContaining("customer gave the right number"),
    });
    expect(await auditOf(payment.id, "payment.resend_prompt")).toEqual([
      expect.objectContaining({
        actorLabel: staff.support!.user.name,
        note: "customer gave the right number",
      }),
    ]);
  });

  it("refuses while the last prompt has no answer, saying what to do instead", async () => {
    const payment = await pay(PHONES.handset);
    const body = await jsonOf(await view(payment.id, "support"));
    expect(body.resend).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/no answer yet.*Check status now/),
    });
    const response = await act(payment.id, "support", {
      intent: "resend",
      reason: "customer says no prompt",
    });
    expect(response.status).toBe(409);
    expect((await jsonOf(response)).error).toMatchObject({
      code: "prompt_pending",
      message: expect.stringMatching(/may still pay it/),
    });
    expect((await getPaymentView(app.ctx.db, payment.id))!.attempts).toHaveLength(1);
  });

  it("refuses when the payment is already paid", async () => {
    const payment = await settled((await pay(PHONES.pays, 91)).id, "paid");
    const response = await act(payment.id, "finance", { intent: "resend", reason: "again" });
    expect(response.status).toBe(409);
    expect((await jsonOf(response)).error).toMatchObject({
      code: "already_paid",
      message: expect.stringContaining("already paid"),
    });
  });

  it("needs a reason, and a corrected phone it can read", async () => {
    const payment = await settled((await pay(PHONES.cancels)).id, "cancelled");
    expect(
      (await jsonOf(await act(payment.id, "support", { intent: "resend", reason: "" }))).error,
    ).toMatchObject({ field: "reason", message: "Say why the prompt is being re-sent." });
    expect(
      (
        await jsonOf(
          await act(payment.id, "support", { intent: "resend", phone: "0612 345", reason: "typo" }),
        )
      ).error,
    ).toMatchObject({ field: "phone" });
  });

  it("shows M-Pesa's refusal when the subscriber is locked by another open prompt; the attempt fails with it", async () => {
    await app.control("config", { enforceSubscriberLock: true, promptTimeoutMs: 20_000 });
    try {
      const busyPhone = "254711333444";
      await pay(busyPhone); // an open prompt on the customer's phone
      const payment = await settled((await pay(PHONES.cancels)).id, "cancelled");
      const response = await act(payment.id, "support", {
        intent: "resend",
        phone: busyPhone,
        reason: "customer asked for the prompt on this phone",
      });
      expect(response.status).toBe(409);
      expect((await jsonOf(response)).error).toMatchObject({
        code: "push_refused",
        message: expect.stringContaining("already has an M-Pesa prompt open"),
      });
      const after = (await getPaymentView(app.ctx.db, payment.id))!;
      expect(after.attempts[1]).toMatchObject({
        status: "failed",
        errorMessage: expect.stringContaining("already has an M-Pesa prompt open"),
      });
      expect(after.status).toBe("failed");
    } finally {
      await app.control("config", { enforceSubscriberLock: false, promptTimeoutMs: 2000 });
    }
  });
});

describe("the request-payment form", () => {
  const submit = (role: Role, fields: Record<string, string>) =>
    call(requestPage.action, app.ctx, postForm("/payments/new", fields, staff[role]));

  it.each(["finance", "manager"] as const)("%s may not open it or send it (403)", async (role) => {
    expect(
      (await call(requestPage.loader, app.ctx, get("/payments/new", staff[role]))).status,
    ).toBe(403);
    expect(
      (await submit(role, { orderRef: orderRef(), amount: "10", phone: PHONES.pays })).status,
    ).toBe(403);
  });

  it.each(["support", "admin"] as const)(
    "%s sends a prompt and lands on the payment page, which is live until the customer pays",
    async (role) => {
      expect(
        (await call(requestPage.loader, app.ctx, get("/payments/new", staff[role]))).status,
      ).toBe(200);
      const ref = orderRef("REQ");
      const response = await submit(role, {
        orderRef: ref,
        amount: "KES 1,250",
        phone: "0708 000 001",
        description: "Invoice 7",
      });
      expect(response.status).toBe(302);
      const id = response.headers.get("Location")!.replace("/payments/", "");
      expect((await jsonOf(await view(id, role))).payment).toMatchObject({
        orderRef: ref,
        amount: 1250,
        description: "Invoice 7",
      });
      await settled(id, "paid");
      expect((await jsonOf(await view(id, role))).live).toBe(false);
      expect(await auditOf(id, "payment.request")).toHaveLength(1);
    },
  );

  it("shows every field's problem next to the field, in words a support agent understands, and keeps what was typed", async () => {
    const response = await submit("support", {
      orderRef: "",
      amount: "12.50",
      phone: "0612 345 678",
      description: "",
    });
    expect(response.status).toBe(400);
    const body = await jsonOf(response);
    expect(body.error.fields).toEqual({
      orderRef: "Enter the order reference the customer is paying.",
      amount: expect.stringContaining("whole shillings"),
      phone: "Phone number must be a Safaricom number like 0712 345 678",
    });
    expect(body.values).toMatchObject({ amount: "12.50", phone: "0612 345 678" });
    expect(
      (
        await jsonOf(
          await submit("support", { orderRef: "-bad ref", amount: "300000", phone: "0712" }),
        )
      ).error.fields,
    ).toEqual({
      orderRef: expect.stringContaining("starting with a letter or digit"),
      amount: expect.stringContaining("KES 250,000"),
      phone: expect.stringContaining("too short"),
    });
  });

  it("reads amounts by the one form rule: thousands commas yes, stray commas no", async () => {
    const response = await submit("support", {
      orderRef: orderRef(),
      amount: "1,2,5,0",
      phone: PHONES.pays,
    });
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error.fields).toEqual({
      amount: "Enter the amount in shillings.",
    });
  });

  it("refuses a second prompt for an order that is still waiting, linking to that payment", async () => {
    const ref = orderRef("DUP");
    const first = await submit("support", { orderRef: ref, amount: "40", phone: PHONES.handset });
    const firstId = first.headers.get("Location")!.replace("/payments/", "");
    const second = await submit("support", { orderRef: ref, amount: "40", phone: PHONES.handset });
    expect(second.status).toBe(409);
    expect(await jsonOf(second)).toMatchObject({
      error: { message: expect.stringContaining("already has a payment waiting") },
      data: { existingPaymentId: firstId },
    });
  });
});
