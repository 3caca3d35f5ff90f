// An exception case as a role without phones:unmasked may see it: phone numbers masked in the
// payment, the attempts (CheckoutRequestIDs embed the payer's digits), summaries and callback bodies.
import { maskPhone } from "../daraja/phone";
import { redactData, redactText } from "../payments/redact";

/** A JSON body stays JSON (phone values become masked strings), so it still pretty-prints. */
export function redactBody(body: string): string {
  try {
    return JSON.stringify(redactData(JSON.parse(body)));
  } catch {
    return redactText(body);
  }
}

type CaseShape = {
  exception: { summary: string };
  payment: { phone: string; statusReason: string | null } | null;
  attempts: {
    phone: string;
    checkoutRequestId: string | null;
    errorMessage: string | null;
    resultDesc: string | null;
  }[];
  callbacks: { body: string; checkoutRequestId: string | null; sourceIp: string | null }[];
  queries: { summary: string }[];
};

export function redactCase<T extends CaseShape>(c: T, unmasked: boolean): T & { masked: boolean } {
  if (unmasked) return { ...c, masked: false };
  const text = (s: string | null) => (s == null ? s : redactText(s));
  return {
    ...c,
    masked: true,
    exception: { ...c.exception, summary: redactText(c.exception.summary) },
    payment: c.payment
      ? {
          ...c.payment,
          phone: maskPhone(c.payment.phone),
          statusReason: text(c.payment.statusReason),
        }
      : null,
    attempts: c.attempts.map((a) => ({
      ...a,
      phone: maskPhone(a.phone),
      checkoutRequestId: text(a.checkoutRequestId),
      errorMessage: text(a.errorMessage),
      resultDesc: text(a.resultDesc),
    })),
    callbacks: c.callbacks.map((cb) => ({
      ...cb,
      body: redactBody(cb.body),
      checkoutRequestId: text(cb.checkoutRequestId),
    })),
    queries: c.queries.map((q) => ({ ...q, summary: redactText(q.summary) })),
  };
}
