// Decides whether a known customer's number is the payer a C2B confirmation or statement line
// describes, whatever form the witness took: plain, masked or SHA-256 hashed
// (docs/daraja.md#c2b-confirmation, #statement-columns, #statement-matching). Server-only because
// hashing uses node:crypto; the classification itself lives in c2b-parse.ts.
import { createHash } from "node:crypto";
import { readMsisdnWitness, type MsisdnWitness } from "./c2b-parse";

const NORMALIZED = /^254[17]\d{8}$/;
const MIN_HASH_PREFIX = 40;

/** SHA-256 hex of the 12-digit `2547…` string: how Safaricom hashes C2B MSISDNs since July 2024. */
export function sha256Msisdn(phone: string): string {
  return createHash("sha256").update(phone, "utf8").digest("hex");
}

/**
 * `phone` must already be normalized (`2547…`/`2541…`); anything else never matches rather than
 * throwing, so one bad customer record cannot abort a matching run.
 * Witnesses read back from the ledger may carry only `kind` and `raw`; the missing parts are re-derived.
 */
export function msisdnMatches(phone: string, witness: MsisdnWitness): boolean {
  if (!NORMALIZED.test(phone)) return false;
  const derived = () => readMsisdnWitness(witness.raw);
  switch (witness.kind) {
    case "plain":
      return (witness.plain ?? derived().plain) === phone;
    case "masked": {
      const parts =
        witness.maskedPrefix !== undefined || witness.maskedSuffix !== undefined
          ? witness
          : derived();
      const prefix = parts.maskedPrefix ?? "";
      const suffix = parts.maskedSuffix ?? "";
      if (prefix.length + suffix.length === 0 || prefix.length + suffix.length > phone.length)
        return false;
      return phone.startsWith(prefix) && phone.endsWith(suffix);
    }
    case "hashed": {
      const hash = (witness.hash ?? derived().hash ?? "").toLowerCase();
      // Truncated hashes (the official example has 62 chars) still identify a number if long enough.
      if (hash.length < MIN_HASH_PREFIX || !/^[0-9a-f]+$/.test(hash)) return false;
      return sha256Msisdn(phone).startsWith(hash);
    }
    default:
      return false;
  }
}
