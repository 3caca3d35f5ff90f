// Callback bodies exactly as docs/daraja.md#stk-callback-body shows them, and their delivery
// (docs/daraja.md#callback-delivery): an unsigned POST with Content-Type
// `application/json;charset=UTF-8` and a BusinessShortCode header. Every attempt is recorded for
// the control API; a failed delivery is recorded, never thrown.
import { eatTimestamp } from "./clock";
import type { Sim } from "./context";
import type { StkResult } from "./outcomes";
import { appendCapped, type Delivery, type Prompt } from "./state";

interface CallbackItem {
  Name: string;
  Value?: number | string;
}

export interface StkCallbackBody {
  Body: {
    stkCallback: {
      MerchantRequestID: string;
      CheckoutRequestID: string;
      ResultCode: number;
      ResultDesc: string;
      CallbackMetadata?: { Item: CallbackItem[] };
    };
  };
}

/** Success carries CallbackMetadata (Balance without a Value, as in real traffic); failure has none. */
export function stkCallbackBody(prompt: Prompt, result: StkResult): StkCallbackBody {
  const stkCallback: StkCallbackBody["Body"]["stkCallback"] = {
    MerchantRequestID: prompt.merchantRequestId,
    CheckoutRequestID: prompt.checkoutRequestId,
    ResultCode: result.code,
    ResultDesc: result.desc,
  };
  if (result.code === 0 && prompt.receipt !== null && prompt.resolvedAt !== null) {
    stkCallback.CallbackMetadata = {
      Item: [
        { Name: "Amount", Value: prompt.paidAmount ?? prompt.amount },
        { Name: "MpesaReceiptNumber", Value: prompt.receipt },
        { Name: "Balance" },
        { Name: "TransactionDate", Value: Number(eatTimestamp(prompt.resolvedAt)) },
        { Name: "PhoneNumber", Value: Number(prompt.phone) },
      ],
    };
  }
  return { Body: { stkCallback } };
}

export interface DeliveryTarget {
  kind: Delivery["kind"];
  checkoutRequestId: string | null;
  url: string;
  body: unknown;
}

export async function deliver(sim: Sim, target: DeliveryTarget): Promise<Delivery> {
  // Captured now so a reset during the request does not leak this record into the fresh state.
  const state = sim.state;
  const record: Delivery = {
    id: 0,
    ...target,
    status: null,
    error: null,
    at: new Date(sim.now()).toISOString(),
  };
  try {
    const response = await sim.fetch(target.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json;charset=UTF-8",
        BusinessShortCode: sim.creds.shortcode,
      },
      body: JSON.stringify(target.body),
      signal: AbortSignal.any([
        sim.deliveries.signal,
        AbortSignal.timeout(sim.config.callbackTimeoutMs),
      ]),
    });
    record.status = response.status;
    await response.arrayBuffer().catch(() => undefined);
    sim.log.info("callback delivered", {
      kind: target.kind,
      url: target.url,
      status: record.status,
    });
  } catch (err) {
    record.error = err instanceof Error ? err.message : String(err);
    sim.log.warn("callback delivery failed", { url: target.url, error: record.error });
  }
  record.id =
    state.deliveries.length === 0 ? 1 : state.deliveries[state.deliveries.length - 1].id + 1;
  appendCapped(state.deliveries, record);
  return record;
}

/** Sends bodies in order; each may be dropped or doubled by a queued `next-callback`. */
export async function sendStkCallbacks(
  sim: Sim,
  prompt: Prompt,
  bodies: StkCallbackBody[],
): Promise<void> {
  if (prompt.callbackUrl === null) return;
  for (const body of bodies) {
    const override = sim.state.next.callbacks.shift();
    if (override === "drop") {
      prompt.callbacksDropped++;
      continue;
    }
    const times = override === "duplicate" ? 2 : 1;
    for (let i = 0; i < times; i++) {
      await deliver(sim, {
        kind: "stk_callback",
        checkoutRequestId: prompt.checkoutRequestId,
        url: prompt.callbackUrl,
        body,
      });
      prompt.callbacksSent++;
    }
  }
}
