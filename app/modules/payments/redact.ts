// Phone numbers leave the server masked (`0712 ••• •78`) for roles without phones:unmasked
// (docs/daraja.md#personal-data). The CheckoutRequestID embeds the payer's 9 local digits
// (docs/daraja.md#stk-push-response), and callback data and summaries can carry numbers too, so
// free text is scrubbed as well as the phone fields. Pure: loaders and tests use it.
import { maskPhonesInText, redactDeep } from "../../lib/msisdn";
import { maskPhone } from "../daraja/phone";

/** Phone numbers in free text and CheckoutRequestIDs masked (lib/msisdn.ts). */
export const redactText = maskPhonesInText;

/** Every string in a JSON-like value scrubbed; phone keys and Daraja's PhoneNumber items masked whole. */
export const redactData = (value: unknown): unknown => redactDeep(value);

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
