// Tokens, request IDs and receipts in the shapes Daraja uses (docs/daraja.md#oauth,
// #stk-push-response, #stk-callback-body). Everything random comes from one seeded generator, so a
// `seed` replays the same IDs run after run.
import { eatParts, pad } from "./clock";

export interface Rng {
  next(): number;
}

const HEX = "0123456789abcdef";
const DIGITS = "0123456789";
const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const MIXED_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** mulberry32 over an FNV-1a hash of the seed: tiny, fast and good enough for test fixtures. */
export function createRng(seed: string): Rng {
  let hash = 2166136261;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  let state = hash >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

export function draw(rng: Rng, alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rng.next() * alphabet.length)];
  return out;
}

export const makeAccessToken = (rng: Rng): string => draw(rng, MIXED_ALNUM, 28);

/** The 2024+ shape, e.g. `4f1c-4a6b-9e2d-7b3a9c2e1d5f1283746`; error `requestId`s look alike. */
export function makeMerchantRequestId(rng: Rng): string {
  const groups = [draw(rng, HEX, 4), draw(rng, HEX, 4), draw(rng, HEX, 4)];
  return `${groups.join("-")}-${draw(rng, HEX, 12)}${draw(rng, DIGITS, 7)}`;
}

/** `ws_CO_` + DDMMYYYY + HHmmss + millis (EAT) + the payer's 9 local digits. */
export function makeCheckoutRequestId(ms: number, phone: string): string {
  const p = eatParts(ms);
  const stamp = `${pad(p.day)}${pad(p.month)}${p.year}${pad(p.hour)}${pad(p.minute)}${pad(p.second)}${pad(p.millis, 3)}`;
  return `ws_CO_${stamp}${phone.slice(-9)}`;
}

/**
 * Ten uppercase alphanumerics whose first three encode the EAT date as observed in real receipts:
 * year (L=2017 … U=2026), month (A–L), day (1–9 then A–V). Callers ensure uniqueness.
 */
export function makeReceipt(rng: Rng, ms: number): string {
  const p = eatParts(ms);
  const year = String.fromCharCode(Math.min(90, Math.max(65, 76 + p.year - 2017)));
  const month = String.fromCharCode(64 + p.month);
  const day = p.day <= 9 ? String(p.day) : String.fromCharCode(55 + p.day);
  return `${year}${month}${day}${draw(rng, UPPER_ALNUM, 7)}`;
}
