// How a payer's number appears in what Daraja sends the merchant. From March 2026 STK callbacks carry
// it masked (`0722000***`, `254708***430`) or not at all, and C2B confirmations have been masked or
// hashed for years (docs/daraja.md, "STK callback body", "C2B confirmation"). A run-wide form and per-number forms are
// configurable (`POST /__sim/config {phoneForm, phoneFormByNumber}`), so one test number can be
// masked while the others stay full.
import type { SimConfig } from "./options";

export const PHONE_FORMS = ["full", "masked_tail", "masked_middle", "absent"] as const;
export type PhoneForm = (typeof PHONE_FORMS)[number];

/** The form a callback about `phone` uses under the current config. */
export function phoneFormFor(config: SimConfig, phone: string): PhoneForm {
  return config.phoneFormByNumber[phone] ?? config.phoneForm;
}

/**
 * The number as shown in a callback: `full` keeps `2547XXXXXXXX`, `masked_tail` writes it locally
 * with the last three digits starred (`0722000***`), `masked_middle` stars three digits in the
 * middle (`254708***430`), `absent` gives null (the item or field is left out).
 */
export function showPhone(phone: string, form: PhoneForm): string | null {
  if (form === "absent") return null;
  if (form === "masked_tail") return `0${phone.slice(3, 9)}***`;
  if (form === "masked_middle") return `${phone.slice(0, 6)}***${phone.slice(-3)}`;
  return phone;
}
