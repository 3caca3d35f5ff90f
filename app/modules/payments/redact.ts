// Phone numbers leave the server masked (`0712 ••• 678`) for roles without phones:unmasked
// (docs/daraja.md#personal-data). The CheckoutRequestID embeds the payer's 9 local digits
// (docs/daraja.md#stk-push-response), and callback data and summaries can carry numbers too, so
// free text is scrubbed as well as the phone fields. Pure: loaders and tests use it.
import { maskPhone } from "../daraja/phone";

// 0712345678, 254712345678, +254 712 345 678 — bounded so receipts and amounts are left alone.
const PHONE_IN_TEXT =
  /(?<![\dA-Za-z])(?:\+?254|0)[\s-]?([17]\d{2})[\s-]?\d{3}[\s-]?(\d{3})(?![\dA-Za-z])/g;
// ws_CO_ + DDMMYYYY HHmmss + 3-digit millis + 9 local digits.
const CHECKOUT_PHONE = /(ws_CO_\d{17})(\d{3})\d{3}(\d{3})/g;

export function redactText(text: string): string {
  return text.replace(CHECKOUT_PHONE, "$1$2•••$3").replace(PHONE_IN_TEXT, "0$1 ••• $2");
}

const PHONE_KEY = /phone|msisdn|partya/i;

/**
 * Masks every string in a JSON-like value; keys named like a phone are masked whole. Daraja's metadata
 * items (`{ "Name": "PhoneNumber", "Value": 254712345678 }`) carry the word in the sibling Name, so
 * such a Value counts as a phone too.
 */
export function redactData(value: unknown, key = ""): unknown {
  if (typeof value === "string") return PHONE_KEY.test(key) ? maskPhone(value) : redactText(value);
  if (typeof value === "number" && PHONE_KEY.test(key)) return maskPhone(String(value));
  if (Array.isArray(value)) return value.map((v) => redactData(v, key));
  if (value && typeof value === "object") {
    const named =
      typeof (value as { Name?: unknown }).Name === "string" &&
      PHONE_KEY.test((value as { Name: string }).Name);
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        named && k === "Value" && v != null ? maskPhone(String(v)) : redactData(v, k),
      ]),
    );
  }
  return value;
}

type WithPhone = { phone: string };

export function redactSummary<T extends WithPhone & { statusReason: string | null }>(
  payment: T,
  unmasked: boolean,
): T {
  return unmasked
    ? payment
    : {
        ...payment,
        phone: maskPhone(payment.phone),
        statusReason: payment.statusReason == null ? null : redactText(payment.statusReason),
      };
}

type ViewShape = WithPhone & {
  statusReason: string | null;
  attempts: (WithPhone & {
    checkoutRequestId: string | null;
    errorMessage: string | null;
    resultDesc: string | null;
  })[];
  timeline: { summary: string; data: unknown }[];
  openExceptions: { summary: string }[];
};

export function redactPaymentView<T extends ViewShape>(view: T, unmasked: boolean): T {
  if (unmasked) return view;
  const text = (s: string | null) => (s == null ? s : redactText(s));
  return {
    ...view,
    phone: maskPhone(view.phone),
    statusReason: text(view.statusReason),
    attempts: view.attempts.map((a) => ({
      ...a,
      phone: maskPhone(a.phone),
      checkoutRequestId: text(a.checkoutRequestId),
      errorMessage: text(a.errorMessage),
      resultDesc: text(a.resultDesc),
    })),
    timeline: view.timeline.map((e) => ({
      ...e,
      summary: redactText(e.summary),
      data: redactData(e.data),
    })),
    openExceptions: view.openExceptions.map((x) => ({ ...x, summary: redactText(x.summary) })),
  };
}
