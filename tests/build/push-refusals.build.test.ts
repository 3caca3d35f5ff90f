// M-Pesa refusing the push itself, through the BUILT server: the payment is `failed` with M-Pesa's
// reason in words support can repeat, never `unknown` with "The push failed unexpectedly" (issue 10,
// item 1: in production the Daraja client and the routes were two module graphs, so the refusal's
// class was not recognised). Nothing was charged, so no case is opened for a person.
import { freePort, handsetPhone, startSuiteServer, type BuiltServer } from "./support/server";
import { startDarajaForger, type DarajaForger } from "./support/daraja-forger";
import { getPayment, requestPayment, settled, signInAgent } from "./support/flows";

let s: BuiltServer;
let forger: DarajaForger;
beforeAll(async () => {
  const simulatorPort = await freePort();
  forger = await startDarajaForger(simulatorPort);
  s = await startSuiteServer({
    label: "push-refusals",
    simulatorPort,
    env: { DARAJA_BASE_URL: forger.url, START_SIMULATOR: "true" },
    simConfig: { promptTimeoutMs: 120_000 },
  });
});
afterAll(async () => {
  await s?.stop();
  await forger?.close();
});

const pushes = async () =>
  (await s.sim<{ counts: { pushes: number } }>("state?summary")).counts.pushes;

describe("push refusals", () => {
  it("subscriber locked (500.001.1001): failed, telling support the customer already has a prompt open", async () => {
    const phone = handsetPhone();
    const first = await requestPayment(s, { phone, amount: 200 });
    expect(first.status).toBe("pending");
    const second = await requestPayment(s, { phone, amount: 201 });
    expect(second.status).toBe("failed");
    expect(second.attempts[0]).toMatchObject({ status: "failed", errorCode: "500.001.1001" });
    expect(second.statusReason).toMatch(/already has an M-Pesa prompt open/i);
    expect(second.statusReason).not.toMatch(/unexpectedly/i);
    expect(second.openExceptions).toEqual([]);
    // The first prompt is untouched by the refusal of the second.
    expect((await getPayment(s, first.id)).status).toBe("pending");
  });

  it("M-Pesa busy on a re-send from the console: the agent gets 409 with M-Pesa's reason; the payment is failed", async () => {
    const cancelled = await settled(
      s,
      (await requestPayment(s, { phone: "254708000002", amount: 202 })).id,
      "cancelled",
    );
    const agent = await signInAgent(s);
    await s.sim("next-outcome", { outcome: "busy" });
    const res = await agent.act(
      `/payments/${cancelled.id}`,
      "routes/_console.payments.$paymentId",
      { intent: "resend", reason: "customer asked for the prompt again" },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error.message).toMatch(/busy/i);
    expect(res.body.error.message).not.toMatch(/unexpectedly/i);
    const after = await getPayment(s, cancelled.id);
    expect(after.status).toBe("failed");
    expect(after.attempts.map((a) => a.status)).toEqual(["cancelled", "failed"]);
    expect(after.attempts[1].errorCode).toBe("500.003.02");
    expect(after.openExceptions).toEqual([]);
  });

  // Refusals the in-process simulator cannot produce, answered in Daraja's envelope by the forger.
  it.each([
    ["Bad Request - Invalid PhoneNumber", 400, "400.002.02", /rejected the phone number/i],
    ["Merchant does not exist", 500, "500.001.1001", /does not know our shortcode/i],
    ["[MerchantValidate] - Wrong credentials", 500, "500.001.1001", /rejected our credentials/i],
    ["An error M-Pesa does not explain", 500, "500.001.1001", /not charged/i],
  ])("%s (HTTP %s, %s): failed with a message support can act on", async (said, status, code, reason) => {
    const phone = handsetPhone();
    forger.forgePush(phone, {
      status,
      body: { requestId: "12345-67890-1", errorCode: code, errorMessage: said },
    });
    const p = await requestPayment(s, { phone, amount: 210 });
    expect(p.status, p.statusReason ?? "").toBe("failed");
    expect(p.statusReason).toMatch(reason);
    expect(p.attempts[0]).toMatchObject({ status: "failed", errorCode: code });
    expect(p.openExceptions).toEqual([]);
  });

  it("an invalid phone is refused before any push: 400 naming the field, no payment, nothing sent to M-Pesa", async () => {
    const before = await pushes();
    const ref = `BAD-PHONE-${Date.now()}`;
    const res = await s.api("/api/payments", {
      method: "POST",
      body: JSON.stringify({ orderRef: ref, amount: 50, phone: "0612 345" }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ field: "phone" });
    expect(res.body.error.message).toMatch(/phone number/i);
    expect(await pushes()).toBe(before);
    const list = await s.api(`/api/payments?orderRef=${ref}`);
    expect(list.body.payments).toEqual([]);
  });

  it("an expired Daraja token is renewed without the merchant noticing: the payment still pays", async () => {
    await s.sim("expire-tokens", {});
    const p = await requestPayment(s, { phone: "254708000001", amount: 203 });
    expect(p.status).toBe("pending");
    const paid = await settled(s, p.id, "paid");
    expect(paid.receipt).toMatch(/^[A-Z0-9]{10}$/);
  });
});
