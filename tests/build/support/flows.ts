// What the build suite does over HTTP, in the words of the people doing it: a merchant's system
// starts and reads payments with its API key, Daraja (or someone forging Daraja) posts callbacks to
// the STK hook, a support agent signs in and presses "Re-send prompt".
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { handsetPhone, orderRef, parseBody, waitFor, type Answer, type BuiltServer } from "./server";

export type Attempt = {
  id: string;
  seq: number;
  status: string;
  phone: string;
  amount: number;
  checkoutRequestId: string | null;
  merchantRequestId: string | null;
  resultCode: string | null;
  resultDesc: string | null;
  receipt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
};
export type Payment = {
  id: string;
  orderRef: string;
  amount: number;
  status: string;
  statusReason: string | null;
  resultCode: string | null;
  receipt: string | null;
  receiptPending: boolean;
  attempts: Attempt[];
  receipts: { receipt: string; amount: number; sources: string[] }[];
  openExceptions: { id: string; type: string; status: string; amountAtStake: number }[];
};

export async function requestPayment(
  s: BuiltServer,
  input: { phone: string; amount?: number; orderRef?: string },
): Promise<Payment> {
  const res = await s.api<{ payment: Payment }>("/api/payments", {
    method: "POST",
    body: JSON.stringify({
      orderRef: input.orderRef ?? orderRef(),
      amount: input.amount ?? 150,
      phone: input.phone,
    }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.payment;
}

export async function getPayment(s: BuiltServer, id: string): Promise<Payment> {
  const res = await s.api<{ payment: Payment }>(`/api/payments/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.payment;
}

/** Waits until the payment's status is one of `statuses` (the poller and callbacks run on their own). */
export async function settled(
  s: BuiltServer,
  id: string,
  statuses: string | string[],
  timeoutMs = 20_000,
): Promise<Payment> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  let last: Payment | undefined;
  try {
    return await waitFor(
      async () => {
        last = await getPayment(s, id);
        return wanted.includes(last.status) ? last : null;
      },
      `payment ${id} to become ${wanted.join("/")}`,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; it is ${last?.status} (${last?.statusReason}), attempts ${JSON.stringify(last?.attempts)}`,
    );
  }
}

// Paid, with M-Pesa's receipt on record. The poller asks STK Query two seconds after the push, so on a
// loaded machine the payment can be paid by the query (receipt still to come) before the callback
// with the receipt is applied: wait for the receipt, which is what the merchant reads in the end.
export async function paidWithReceipt(s: BuiltServer, id: string): Promise<Payment> {
  await settled(s, id, "paid");
  return waitFor(async () => {
    const p = await getPayment(s, id);
    return p.receipt ? p : null;
  }, `payment ${id} to carry its receipt`);
}

/** A payment whose prompt waits on the virtual handset: pending, with its CheckoutRequestID. */
export async function pendingPayment(s: BuiltServer, amount = 150): Promise<Payment> {
  const payment = await requestPayment(s, { phone: handsetPhone(), amount });
  expect(payment.status).toBe("pending");
  expect(payment.attempts[0].checkoutRequestId).toMatch(/^ws_CO_/);
  return payment;
}

export type Revenue = { revenueKes: number; paidPayments: number };

/** The dashboard's totals for the last 30 EAT days, as GET /api/reports/revenue reports them. */
export async function revenue(s: BuiltServer): Promise<Revenue> {
  const res = await s.api<{ report: { totals: Revenue } }>("/api/reports/revenue");
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const { totals } = res.body.report;
  return { revenueKes: totals.revenueKes, paidPayments: totals.paidPayments };
}

export type CallbackRow = { id: number; outcome: string; outcomeDetail: string | null };

export async function callbacksFor(
  s: BuiltServer,
  checkoutRequestId: string,
): Promise<CallbackRow[]> {
  const res = await s.api<{ callbacks: CallbackRow[] }>(
    `/api/callbacks?limit=200&checkoutRequestId=${encodeURIComponent(checkoutRequestId)}`,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.callbacks;
}

/** Waits until `count` callbacks for this CheckoutRequestID have been processed (stored rows get the ID then). */
export async function processedCallbacks(
  s: BuiltServer,
  checkoutRequestId: string,
  count: number,
): Promise<CallbackRow[]> {
  return waitFor(async () => {
    const rows = await callbacksFor(s, checkoutRequestId);
    return rows.length >= count && rows.every((r) => r.outcome !== "received") ? rows : null;
  }, `${count} processed callbacks for ${checkoutRequestId}`);
}

// ---- Daraja's STK callback, built as raw JSON so hostile values go out exactly as written ----

/** One CallbackMetadata item; `value` is raw JSON text (e.g. `150`, `"abc"`, `{"a":1}`), or absent. */
export type RawItem = { name: string; value?: string };

export function successItems(
  amount: number,
  receipt: string,
  phone = "254712345678",
): RawItem[] {
  return [
    { name: "Amount", value: String(amount) },
    { name: "MpesaReceiptNumber", value: JSON.stringify(receipt) },
    { name: "Balance" },
    { name: "TransactionDate", value: eatNowStamp() },
    { name: "PhoneNumber", value: phone },
  ];
}

export function stkCallbackBody(input: {
  checkoutRequestId: string;
  merchantRequestId?: string | null;
  resultCode: number;
  resultDesc?: string;
  items?: RawItem[];
}): string {
  const items = input.items
    ?.map((i) => `{"Name":${JSON.stringify(i.name)}${i.value === undefined ? "" : `,"Value":${i.value}`}}`)
    .join(",");
  return (
    `{"Body":{"stkCallback":{` +
    `"MerchantRequestID":${JSON.stringify(input.merchantRequestId ?? "29115-34620561-1")},` +
    `"CheckoutRequestID":${JSON.stringify(input.checkoutRequestId)},` +
    `"ResultCode":${input.resultCode},` +
    `"ResultDesc":${JSON.stringify(input.resultDesc ?? (input.resultCode === 0 ? "The service request is processed successfully." : "Request Cancelled by user."))}` +
    (items === undefined ? "" : `,"CallbackMetadata":{"Item":[${items}]}`) +
    `}}}`
  );
}

/** POSTs a callback body to the STK hook as Daraja does. */
export async function postStkCallback(
  s: BuiltServer,
  body: string,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${s.baseUrl}/hooks/daraja/stk/${s.callbackToken}`, {
    method: "POST",
    headers: { "Content-Type": "application/json;charset=UTF-8", BusinessShortCode: "174379" },
    body,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** A success callback for a payment's newest attempt, with the requested amount unless told otherwise. */
export function successCallbackFor(
  payment: Payment,
  receipt: string,
  items: RawItem[] = successItems(payment.amount, receipt),
): string {
  const attempt = payment.attempts[payment.attempts.length - 1];
  return stkCallbackBody({
    checkoutRequestId: attempt.checkoutRequestId!,
    merchantRequestId: attempt.merchantRequestId,
    resultCode: 0,
    items,
  });
}

/** An M-Pesa-shaped receipt: 10 upper-case letters and digits, random. */
export function newReceipt(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return `UBS${[...randomBytes(7)].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

/** TransactionDate as Daraja writes it: EAT YYYYMMDDHHmmss, as a number. */
function eatNowStamp(): string {
  const eat = new Date(Date.now() + 3 * 3600_000);
  return eat.toISOString().replace(/\D/g, "").slice(0, 14);
}

// ---- A support agent in the console (session cookie + CSRF token, as the browser sends them) ----

export type Agent = {
  cookie: string;
  csrf: string;
  /** POSTs a console form to a route, asking Remix for the action's JSON (what fetchers receive). */
  act(
    path: string,
    routeId: string,
    form: Record<string, string>,
  ): Promise<{ status: number; body: Answer }>;
  /** A console page's loader data, as the browser fetches it on navigation (expects 200). */
  load<T>(path: string, routeId: string): Promise<T>;
};

export async function signInAgent(
  s: BuiltServer,
  email = "support@demo.test",
  password = "demo-support-pass",
): Promise<Agent> {
  // As a browser does: GET the form (its pre-session token and cookie), then POST it back with both.
  const form = await fetch(`${s.baseUrl}/login?_data=routes%2Flogin`);
  const { loginToken } = (await form.json()) as { loginToken: string };
  const formCookie = (form.headers.get("set-cookie") ?? "").split(";")[0];
  const login = await fetch(`${s.baseUrl}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: s.baseUrl,
      Cookie: formCookie,
    },
    body: new URLSearchParams({ email, password, next: "/", loginToken }),
  });
  expect(login.status, await login.clone().text()).toBe(302);
  const cookie = (login.headers.getSetCookie().find((c) => !c.startsWith("__console_login")) ?? "")
    .split(";")[0];
  expect(cookie).toContain("=");
  const layout = await fetch(`${s.baseUrl}/?_data=routes%2F_console`, {
    headers: { Cookie: cookie },
  });
  expect(layout.status).toBe(200);
  const { csrfToken } = (await layout.json()) as { csrfToken: string };
  expect(csrfToken).toBeTruthy();
  return {
    cookie,
    csrf: csrfToken,
    async act(path, routeId, form) {
      const res = await fetch(`${s.baseUrl}${path}?_data=${encodeURIComponent(routeId)}`, {
        method: "POST",
        headers: {
          Cookie: cookie,
          Origin: s.baseUrl,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ ...form, csrf: csrfToken }),
      });
      const body = parseBody<Answer>(await res.text());
      return { status: res.status, body };
    },
    async load<T>(path: string, routeId: string) {
      const sep = path.includes("?") ? "&" : "?";
      const res = await fetch(`${s.baseUrl}${path}${sep}_data=${encodeURIComponent(routeId)}`, {
        headers: { Cookie: cookie },
      });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      return parseBody<T>(text);
    },
  };
}
