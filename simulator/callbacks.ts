// Callback bodies exactly as docs/daraja.md#stk-callback-body shows them, and their delivery
// (docs/daraja.md#callback-delivery): an unsigned POST with Content-Type
// `application/json;charset=UTF-8` and a BusinessShortCode header. Every attempt is recorded for
// the control API; a failed delivery is recorded, never thrown.
import { eatTimestamp } from "./clock";
import type { Sim } from "./context";
import { DOCUMENTED_SHAPE, type CallbackShape } from "./options";
import type { StkResult } from "./outcomes";
import { phoneFormFor, showPhone, type PhoneForm } from "./phone-forms";
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

/** How one callback is written: the run's shape and the payer number's form. */
export interface CallbackStyle {
  shape: CallbackShape;
  phoneForm: PhoneForm;
  /** Added to the amount actually paid (scenarios: a callback that disagrees with the truth). */
  amountDelta?: number;
}

export const documentedStyle: CallbackStyle = { shape: DOCUMENTED_SHAPE, phoneForm: "full" };

/** The style the current config gives callbacks about this prompt. */
export function callbackStyle(sim: Sim, prompt: Prompt): CallbackStyle {
  return { shape: sim.config.callbackShape, phoneForm: phoneFormFor(sim.config, prompt.phone) };
}

/**
 * Success carries CallbackMetadata (Balance without a Value, as in real traffic); failure has none.
 * The documented style is docs/daraja.md#stk-callback-body's: Amount, receipt, Balance,
 * TransactionDate, PhoneNumber, as numbers. Other styles are the 2026 variants: string values, a
 * reversed order, no TransactionDate, a masked or missing PhoneNumber.
 */
export function stkCallbackBody(
  prompt: Prompt,
  result: StkResult,
  style: CallbackStyle = documentedStyle,
): StkCallbackBody {
  const stkCallback: StkCallbackBody["Body"]["stkCallback"] = {
    MerchantRequestID: prompt.merchantRequestId,
    CheckoutRequestID: prompt.checkoutRequestId,
    ResultCode: result.code,
    ResultDesc: result.desc,
  };
  if (result.code === 0 && prompt.receipt !== null && prompt.resolvedAt !== null) {
    const { shape } = style;
    const typed = (value: string, as: "number" | "string") =>
      as === "number" ? Number(value) : value;
    const amount = (prompt.paidAmount ?? prompt.amount) + (style.amountDelta ?? 0);
    const items: CallbackItem[] = [
      { Name: "Amount", Value: typed(String(amount), shape.amount) },
      { Name: "MpesaReceiptNumber", Value: prompt.receipt },
      { Name: "Balance" },
    ];
    if (shape.transactionDate !== "absent")
      items.push({
        Name: "TransactionDate",
        Value: typed(eatTimestamp(prompt.resolvedAt), shape.transactionDate),
      });
    const shown = showPhone(prompt.phone, style.phoneForm);
    // A masked number cannot be a JSON number; only the full one follows the shape's type.
    if (shown !== null)
      items.push({
        Name: "PhoneNumber",
        Value: style.phoneForm === "full" ? typed(shown, shape.phone) : shown,
      });
    if (shape.itemOrder === "reversed") items.reverse();
    stkCallback.CallbackMetadata = { Item: items };
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
