// Other Party Info on an M-PESA statement line: who paid, as the statement names them. Pure.
import { readMsisdnWitness, type MsisdnWitness } from "./c2b-parse";

/** `2547****5678 - JANE DOE` or `600000 - ACME BANK` (docs/daraja.md#statement-columns); names may
 * themselves contain hyphens. */
export function parseOtherPartyInfo(text: string): { msisdn: MsisdnWitness; name: string | null } {
  const trimmed = text.trim();
  const split = /\s+-\s+/.exec(trimmed);
  if (split) {
    const name = trimmed.slice(split.index + split[0].length).trim();
    return { msisdn: readMsisdnWitness(trimmed.slice(0, split.index)), name: name || null };
  }
  const msisdn = readMsisdnWitness(trimmed);
  if (msisdn.kind !== "unknown" || /^\d+$/.test(trimmed)) return { msisdn, name: null };
  return { msisdn: readMsisdnWitness(""), name: trimmed || null };
}
