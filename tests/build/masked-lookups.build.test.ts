// A support agent on the BUILT server: a lookup by a customer's number (the payments list's phone
// filter, its JSON API, global search for a CheckoutRequestID that holds the number) finds the
// payment with the number masked, counts against the person's phone-search limit and never confirms a
// guess by redirecting; and an order with an unknown payment whose case is open takes no second prompt.
import { orderRef, startSuiteServer, type BuiltServer } from "./support/server";
import {
  postStkCallback,
  requestPayment,
  settled,
  signInAgent,
  stkCallbackBody,
  type Agent,
} from "./support/flows";

let s: BuiltServer;
let agent: Agent;
beforeAll(async () => {
  s = await startSuiteServer({ label: "masked-lookups" });
  agent = await signInAgent(s);
});
afterAll(async () => s?.stop());

const asAgent = (path: string) =>
  fetch(`${s.baseUrl}${path}`, { headers: { Cookie: agent.cookie }, redirect: "manual" });

it("finds a payment by the customer's number with the number masked, and limits such lookups", async () => {
  const phone = "254708000001";
  const payment = await requestPayment(s, { phone, amount: 123 });
  const checkoutRequestId = payment.attempts[0].checkoutRequestId!;
  expect(checkoutRequestId).toContain("708000001");

  // Global search for the CheckoutRequestID: the list, not a redirect that would confirm the number.
  const search = await asAgent(
    `/search?q=${encodeURIComponent(checkoutRequestId)}&_data=routes%2F_console.search`,
  );
  expect(search.status).toBe(200);
  const found = await search.text();
  expect(found).toContain(payment.id);
  expect(found).not.toContain("708000001");

  const page = await asAgent(`/payments?phone=0708000001&_data=routes%2F_console.payments._index`);
  expect(page.status).toBe(200);
  // The form gives back what the agent typed; the payments found carry the number masked.
  const listed = (await page.json()) as { form: { phone: string }; payments: unknown[] };
  expect(listed.form.phone).toBe("0708000001");
  expect(JSON.stringify(listed.payments)).toContain(payment.id);
  expect(JSON.stringify(listed.payments)).not.toContain("708000001");

  // The API shares the limit (20 in ten minutes, two used above).
  const statuses: number[] = [];
  for (let i = 0; i < 19; i++)
    statuses.push((await asAgent(`/api/payments?phone=0708000${String(100 + i)}`)).status);
  expect(statuses.slice(0, 18)).toEqual(Array(18).fill(200));
  expect(statuses[18]).toBe(429);
  const refused = await asAgent(`/api/payments?phone=0708000001`);
  expect(refused.status).toBe(429);
  expect(await refused.json()).toMatchObject({
    error: { code: "rate_limited", message: expect.stringMatching(/Too many phone-number searches/) },
  });
  // A lookup with no number in it is not limited.
  expect((await asAgent(`/api/payments?status=paid`)).status).toBe(200);
});

it("refuses a new payment for an order with a payment of unknown outcome whose case is open", async () => {
  const ref = orderRef();
  const first = await requestPayment(s, { phone: "254708000009", amount: 140, orderRef: ref });
  await settled(s, first.id, ["unknown"]);
  const again = await s.api("/api/payments", {
    method: "POST",
    body: JSON.stringify({ orderRef: ref, amount: 140, phone: "254708000001" }),
  });
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({
    error: { code: "order_unknown", details: { payment: { id: first.id } } },
  });
});

it("masks a number written with a digit too many, or grouped unusually, in what a callback said", async () => {
  const payment = await requestPayment(s, { phone: "254708000011", amount: 125 });
  const attempt = payment.attempts[0];
  const said = "Request cancelled by user 0712 345 6789, call back on 07123456-78";
  const posted = await postStkCallback(
    s,
    stkCallbackBody({
      checkoutRequestId: attempt.checkoutRequestId!,
      merchantRequestId: attempt.merchantRequestId,
      resultCode: 1032,
      resultDesc: said,
    }),
  );
  expect(posted.status).toBe(200);
  await settled(s, payment.id, ["cancelled"]);
  const view = await asAgent(
    `/payments/${payment.id}?_data=${encodeURIComponent("routes/_console.payments.$paymentId")}`,
  );
  expect(view.status).toBe(200);
  const seen = (await view.text()).replace(/[ -]/g, "");
  expect(seen).toContain("0712••••789");
  expect(seen).not.toContain("712345678");
  // Finance sees what was said (the API key is an admin's).
  const full = await s.api<{ attempts: { resultDesc: string | null }[] }>(`/api/payments/${payment.id}`);
  expect(JSON.stringify(full.body)).toContain(said);
});
