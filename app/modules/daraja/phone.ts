// Kenyan mobile numbers: the one place a typed or received phone becomes Daraja's `254` + 9 digits
// (docs/daraja.md#phone-numbers), and the one way a stored number is shown or masked
// (docs/daraja.md#personal-data, privacy). `2541…` (0110/0111) numbers are valid since 2020;
// validators that only allow `2547` are wrong.
import { maskMsisdn } from "../../lib/msisdn";

export type NormalizedPhone = { ok: true; msisdn: string } | { ok: false; message: string };

const EXAMPLE = "like 0712 345 678";
export const PHONE_MESSAGES = {
  empty: `Enter the customer's phone number, ${EXAMPLE}`,
  letters: `Phone number can't contain letters; type digits only, ${EXAMPLE}`,
  characters: `Phone number can only contain digits, spaces and dashes, ${EXAMPLE}`,
  foreign: "Only Kenyan numbers (+254) can receive an M-Pesa prompt",
  tooShort: `Phone number is too short: a Kenyan mobile number has 10 digits, ${EXAMPLE}`,
  tooLong: `Phone number is too long: a Kenyan mobile number has 10 digits, ${EXAMPLE}`,
  trunkZero: "Remove the 0 after 254: write 0712 345 678 or +254 712 345 678",
  notMobile: `Phone number must be a Safaricom number ${EXAMPLE}`,
} as const;

const refuse = (message: string): NormalizedPhone => ({ ok: false, message });

export function normalizeKenyanPhone(input: string): NormalizedPhone {
  // Defensive: form data and JSON bodies reach here untyped at run time.
  if (typeof input !== "string" || input.trim() === "") return refuse(PHONE_MESSAGES.empty);
  // People paste numbers as "0712-345-678", "(0712) 345.678" or with non-breaking spaces.
  const compact = input.replace(/[\s\-.()]/g, "");
  if (/[a-z]/i.test(compact)) return refuse(PHONE_MESSAGES.letters);
  if (!/^\+?\d+$/.test(compact)) return refuse(PHONE_MESSAGES.characters);

  const international = compact.startsWith("+");
  const digits = international ? compact.slice(1) : compact;
  let national: string;
  if (digits.startsWith("254")) national = digits.slice(3);
  else if (international) return refuse(PHONE_MESSAGES.foreign);
  else if (digits.startsWith("0")) national = digits.slice(1);
  // A long number that is not 0…/254… carries some other country code, e.g. 255… (Tanzania).
  else if (digits.length > 10 && !/^[71]/.test(digits)) return refuse(PHONE_MESSAGES.foreign);
  else national = digits;

  // "+254 0712 345 678" is common on business cards; refusing with a precise fix beats guessing.
  if (digits.startsWith("254") && national.length === 10 && national.startsWith("0"))
    return refuse(PHONE_MESSAGES.trunkZero);
  if (national.length < 9) return refuse(PHONE_MESSAGES.tooShort);
  if (national.length > 9) return refuse(PHONE_MESSAGES.tooLong);
  // Only 07xx and 01xx are mobile ranges; prefixes are not checked per operator because numbers are
  // portable between networks.
  if (!/^[71]/.test(national)) return refuse(PHONE_MESSAGES.notMobile);
  return { ok: true, msisdn: `254${national}` };
}

/** `0712 345 678`; anything we cannot read is shown as given. */
export function formatPhoneLocal(msisdn: string | null | undefined): string {
  if (!msisdn) return "—";
  const n = normalizeKenyanPhone(msisdn);
  if (!n.ok) return msisdn;
  const local = `0${n.msisdn.slice(3)}`;
  return `${local.slice(0, 4)} ${local.slice(4, 7)} ${local.slice(7)}`;
}

/**
 * `0712 ••• •78` for people who may not see full numbers (lib/msisdn.ts has the rule, shared with
 * the deep redaction of loader data). Unreadable input shows no digits at all.
 */
export function maskPhone(msisdn: string | null | undefined): string {
  if (!msisdn) return "—";
  if (msisdn.includes("•")) return msisdn; // masked already (read models mask before views do)
  const n = normalizeKenyanPhone(msisdn);
  return n.ok ? maskMsisdn(n.msisdn) : "•••";
}

/** What global search should look for when the query is a phone number, or null when it is not one. */
export function phoneSearchVariants(input: string): string | null {
  const n = normalizeKenyanPhone(input);
  return n.ok ? n.msisdn : null;
}
