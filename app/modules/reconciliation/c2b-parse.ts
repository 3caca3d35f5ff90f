// Translates a raw C2B confirmation body (docs/daraja.md#c2b-confirmation) into the console's
// vocabulary, and owns how any payer-number witness — plain, masked, hashed or absent
// (docs/daraja.md#c2b-confirmation, #statement-columns Other Party Info) — is read. Pure: no I/O,
// so the intake route, the statement import and components can all use it.
import { parseStorableJson } from "~/lib/storable-text";
import { z } from "zod";
import { normalizeKenyanPhone } from "~/modules/daraja/phone";
import { parseKesAmount } from "~/lib/money";
import { parseDarajaTimestamp } from "~/lib/time";

export type MsisdnKind = "plain" | "masked" | "hashed" | "unknown";

/** What a payment tells us about the payer's number; `raw` is kept verbatim for the ledger. */
export type MsisdnWitness = {
  kind: MsisdnKind;
  raw: string;
  plain?: string;
  maskedPrefix?: string;
  maskedSuffix?: string;
  hash?: string;
};

export type C2bConfirmation = {
  transId: string;
  transactionAt: Date;
  amountKes: number;
  transactionType: string;
  billRefRaw: string;
  billRefNorm: string;
  msisdn: MsisdnWitness;
  /** The payer's whole number when the confirmation carried one; null when masked, hashed or absent. */
  phone: string | null;
  /** full / masked (masked or hashed) / absent, as the raw callback log shows it. */
  phoneKind: "full" | "masked" | "absent";
  payerName: string | null;
  businessShortCode: string;
  thirdPartyTransId: string | null;
  invoiceNumber: string | null;
  orgAccountBalance: string | null;
};

export type ParsedC2bConfirmation =
  { ok: true; value: C2bConfirmation } | { ok: false; reason: string };

// The docs say every value is a string, but proxies and simulators send numbers; both read the same.
const Text = z.union([z.string(), z.number()]).transform(String);
const OptionalText = Text.nullish().transform((v) => v ?? "");

// z.object drops unknown keys, which is what we want for the extra keys proxies add
// (docs/daraja.md#c2b-confirmation).
const C2bConfirmationSchema = z.object({
  TransactionType: OptionalText,
  TransID: Text,
  TransTime: Text,
  TransAmount: Text,
  BusinessShortCode: Text,
  BillRefNumber: OptionalText,
  InvoiceNumber: OptionalText,
  OrgAccountBalance: OptionalText,
  ThirdPartyTransID: OptionalText,
  MSISDN: OptionalText,
  FirstName: OptionalText,
  MiddleName: OptionalText,
  LastName: OptionalText,
});

const fail = (reason: string): ParsedC2bConfirmation => ({ ok: false, reason });
const MAX_TRANS_ID_LENGTH = 100;
const orNull = (text: string) => (text.trim() === "" ? null : text.trim());

export function parseC2bConfirmation(body: string): ParsedC2bConfirmation {
  let json: unknown;
  try {
    // A UTF-8 byte-order mark in front is an encoding artefact, not part of the JSON.
    json = parseStorableJson(body.startsWith("\uFEFF") ? body.slice(1) : body);
  } catch (error) {
    return fail(`body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return fail("body is not a JSON object");

  const parsed = C2bConfirmationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  const c = parsed.data;

  const transId = c.TransID.trim();
  // Longer than any identifier intake indexes (callbacks/identifiers.ts): not a receipt number, and
  // too long for the receipts key (PostgreSQL refuses a btree entry over ~2.7 KB).
  if (transId.length > MAX_TRANS_ID_LENGTH)
    return fail(
      `TransID is ${transId.length} characters long, not a receipt number (at most ${MAX_TRANS_ID_LENGTH})`,
    );
  if (!/^[A-Za-z0-9]+$/.test(transId))
    return fail(`TransID "${c.TransID}" is not a receipt number`);
  const transactionAt = parseDarajaTimestamp(c.TransTime);
  if (!transactionAt) return fail(`TransTime "${c.TransTime}" is not YYYYMMDDHHmmss`);
  const amount = parseKesAmount(c.TransAmount);
  if (!amount.ok) return fail(`TransAmount: ${amount.reason}`);
  // Confirmations are only sent for completed payments, so a non-positive amount is not one.
  if (amount.kes <= 0) return fail(`TransAmount "${c.TransAmount}" is not a positive amount`);
  const businessShortCode = c.BusinessShortCode.trim();
  if (businessShortCode === "") return fail("BusinessShortCode is empty");

  const msisdn = readMsisdnWitness(c.MSISDN);
  const payerName = [c.FirstName, c.MiddleName, c.LastName]
    .map((n) => n.trim())
    .filter(Boolean)
    .join(" ");
  return {
    ok: true,
    value: {
      transId,
      transactionAt,
      amountKes: amount.kes,
      transactionType: c.TransactionType.trim(),
      billRefRaw: c.BillRefNumber,
      billRefNorm: normalizeBillRef(c.BillRefNumber),
      msisdn,
      phone: msisdn.kind === "plain" ? (msisdn.plain ?? null) : null,
      phoneKind: phoneKindOf(msisdn),
      payerName: payerName || null,
      businessShortCode,
      thirdPartyTransId: orNull(c.ThirdPartyTransID),
      invoiceNumber: orNull(c.InvoiceNumber),
      orgAccountBalance: orNull(c.OrgAccountBalance),
    },
  };
}

/** The three-way kind shown on records: a witness with no readable digits at all is absent. */
export function phoneKindOf(witness: MsisdnWitness): "full" | "masked" | "absent" {
  if (witness.kind === "plain") return "full";
  if (witness.raw.trim() === "") return "absent";
  return "masked";
}

/** Customers type the account reference freely (`" inv 100 "`); matching compares this form, storage keeps raw. */
export function normalizeBillRef(raw: string): string {
  return raw.trim().replace(/\s+/g, " ").toUpperCase();
}

// Hashed witnesses are SHA-256 hex; the official example is truncated to 62 characters, so the
// length is a range rather than exactly 64 (docs/daraja.md#c2b-confirmation).
const HASH = /^[0-9a-f]{40,64}$/i;
// Masked forms seen: "2547 ***** 126" (C2B v2), "2547****5678" (statement); X and • are tolerated too.
const MASKED = /^\+?(\d*)([\s*xX•#]*[*xX•#][\s*xX•#]*)(\d*)$/;

/** Classifies a payer-number field from a C2B body or a statement's Other Party Info. */
export function readMsisdnWitness(value: unknown): MsisdnWitness {
  const raw =
    typeof value === "string"
      ? value
      : typeof value === "number" && Number.isFinite(value)
        ? String(value)
        : "";
  const text = raw.trim();
  if (text === "") return { kind: "unknown", raw };
  if (HASH.test(text)) return { kind: "hashed", raw, hash: text.toLowerCase() };

  const phone = normalizeKenyanPhone(text);
  if (phone.ok) return { kind: "plain", raw, plain: phone.msisdn };

  const masked = MASKED.exec(text);
  if (masked) {
    const prefix = internationalPrefix(masked[1]);
    const suffix = masked[3];
    // No digits at all says nothing; more than 12 digits is not a Kenyan number.
    if (prefix.length + suffix.length > 0 && prefix.length + suffix.length <= 12) {
      return { kind: "masked", raw, maskedPrefix: prefix, maskedSuffix: suffix };
    }
  }
  return { kind: "unknown", raw };
}

// A masked number written locally ("0712***678") names the same prefix as "254712***678".
function internationalPrefix(digits: string): string {
  if (digits.startsWith("254") || digits === "") return digits;
  if (digits.startsWith("0")) return `254${digits.slice(1)}`;
  if (/^[71]/.test(digits)) return `254${digits}`;
  return digits;
}
