// Daraja's asynchronous results (Transaction Status, Reversal, Account Balance) read into our words
// (docs/daraja.md#initiator-apis, #transaction-status, #reversal, #account-balance). Results are
// hostile input with documented quirks: ResultCode a number or a string (`R000001`), ResultParameter
// one object or an array, items without Value, numbers for times and amounts, trailing spaces, and
// a placeholder TransactionID on Transaction Status. Pure: no I/O, so it is tested on its own.
import { parseStorableJson } from "../../lib/storable-text";
import { z } from "zod";
import { parseKesAmount } from "../../lib/money";
import { parseDarajaTimestamp } from "../../lib/time";

const Text = z.union([z.string(), z.number()]).transform((v) => String(v).trim());
const Item = z.object({ Key: Text, Value: z.unknown().optional() }).passthrough();
const Items = z.union([z.array(z.unknown()), Item]).transform((v) => (Array.isArray(v) ? v : [v]));

const Envelope = z.object({
  Result: z
    .object({
      ResultType: z.unknown().optional(),
      ResultCode: Text,
      ResultDesc: Text.optional().default(""),
      OriginatorConversationID: Text.optional(),
      ConversationID: Text.optional(),
      TransactionID: Text.optional(),
      ResultParameters: z.object({ ResultParameter: Items.optional() }).passthrough().nullish(),
    })
    .passthrough(),
});

/** A parameter as it came: trimmed text, a number, or null for an item without Value. */
export type ParamValue = string | number | null;

export type AsyncResult = {
  resultCode: string;
  resultDesc: string;
  originatorConversationId: string | null;
  conversationId: string | null;
  transactionId: string | null;
  params: Record<string, ParamValue>;
};

export type Parsed<T> = { ok: true; result: T } | { ok: false; reason: string };

const orNull = (v: string | undefined) => (v === undefined || v === "" ? null : v);

function paramValue(raw: unknown): ParamValue {
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : null;
  if (typeof raw === "string") return raw.trim();
  return null; // missing, null, objects: no usable value
}

/** The common envelope of every initiator API result. */
export function parseAsyncResult(body: string): Parsed<AsyncResult> {
  let json: unknown;
  try {
    // A byte-order mark in front (some proxies add one) is not part of the JSON.
    json = parseStorableJson(body.replace(/^\uFEFF/, ""));
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  const parsed = Envelope.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      reason: parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
        .join("; "),
    };
  const r = parsed.data.Result;
  const params: Record<string, ParamValue> = {};
  for (const item of r.ResultParameters?.ResultParameter ?? []) {
    const one = Item.safeParse(item);
    // The first item of a name wins; an unreadable item is skipped, never guessed at.
    if (one.success && one.data.Key && !(one.data.Key in params))
      params[one.data.Key] = paramValue(one.data.Value);
  }
  return {
    ok: true,
    result: {
      resultCode: r.ResultCode,
      resultDesc: r.ResultDesc,
      originatorConversationId: orNull(r.OriginatorConversationID),
      conversationId: orNull(r.ConversationID),
      transactionId: orNull(r.TransactionID),
      params,
    },
  };
}

/** Transaction Status and a few others answer `<prefix>0000000`: no receipt, a placeholder. */
export function isPlaceholderTransactionId(id: string | null): boolean {
  return id === null || /^[A-Z0-9]{2,3}0{7,8}$/.test(id) || /^0+$/.test(id);
}

function amountOf(value: ParamValue): { kes: number | null; problem?: string } {
  if (value === null) return { kes: null, problem: "no Amount" };
  const parsed = parseKesAmount(value);
  return parsed.ok ? { kes: parsed.kes } : { kes: null, problem: parsed.reason };
}

const text = (value: ParamValue) => (value === null ? null : String(value).trim() || null);

export type StatusResult = AsyncResult & {
  /** The real receipt (ReceiptNo); never the placeholder TransactionID. */
  receipt: string | null;
  amountKes: number | null;
  amountProblem?: string;
  /** `Completed` is the only status that means the money moved. */
  transactionStatus: string | null;
  debitParty: string | null;
  creditParty: string | null;
  finalisedAt: Date | null;
  reasonType: string | null;
};

export function parseStatusResult(body: string): Parsed<StatusResult> {
  const base = parseAsyncResult(body);
  if (!base.ok) return base;
  const r = base.result;
  const p = r.params;
  const receiptNo = text(p.ReceiptNo ?? null);
  const amount = amountOf(p.Amount ?? null);
  return {
    ok: true,
    result: {
      ...r,
      receipt: receiptNo ?? (isPlaceholderTransactionId(r.transactionId) ? null : r.transactionId),
      amountKes: amount.kes,
      ...(amount.problem && r.resultCode === "0" ? { amountProblem: amount.problem } : {}),
      transactionStatus: text(p.TransactionStatus ?? null),
      debitParty: text(p.DebitPartyName ?? null),
      creditParty: text(p.CreditPartyName ?? null),
      finalisedAt: parseDarajaTimestamp(p.FinalisedTime ?? p.InitiatedTime ?? null),
      reasonType: text(p.ReasonType ?? null),
    },
  };
}

export type ReversalResult = AsyncResult & {
  /** The reversal's own receipt (Result.TransactionID). */
  reversalReceipt: string | null;
  originalReceipt: string | null;
  amountKes: number | null;
  completedAt: Date | null;
};

export function parseReversalResult(body: string): Parsed<ReversalResult> {
  const base = parseAsyncResult(body);
  if (!base.ok) return base;
  const r = base.result;
  return {
    ok: true,
    result: {
      ...r,
      reversalReceipt: isPlaceholderTransactionId(r.transactionId) ? null : r.transactionId,
      originalReceipt: text(r.params.OriginalTransactionID ?? null),
      amountKes: amountOf(r.params.Amount ?? null).kes,
      completedAt: parseDarajaTimestamp(r.params.TransCompletedTime ?? null),
    },
  };
}

export type BalanceAccountLine = {
  name: string;
  currency: string;
  amountCents: number;
  availableCents: number | null;
};

/** `12,345.67` / `-1540.00` / `0.008` → cents, or null when it is not a two-place amount. */
export function toCents(raw: string): number | null {
  const t = raw.trim().replace(/,/g, "");
  const m = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return null;
  const cents = Number(m[2]) * 100 + Number((m[3] ?? "").padEnd(2, "0"));
  return m[1] === "-" && cents !== 0 ? -cents : cents;
}

/**
 * The `AccountBalance` value: accounts separated by `&`, each `Name|Currency|Amount|…` (six `|`
 * fields, the last three's meaning unconfirmed). An account whose amount is unreadable (the official
 * sample itself has a corrupt `0.008`) is left out and named in `problems`.
 */
export function parseAccountBalance(value: string): {
  accounts: BalanceAccountLine[];
  problems: string[];
} {
  const accounts: BalanceAccountLine[] = [];
  const problems: string[] = [];
  for (const chunk of value.split("&")) {
    if (!chunk.trim()) continue;
    const [name = "", currency = "", amount = "", available = ""] = chunk.split("|");
    const cents = toCents(amount);
    if (!name.trim() || cents === null) {
      problems.push(`unreadable account "${chunk.slice(0, 80)}"`);
      continue;
    }
    accounts.push({
      name: name.trim(),
      currency: currency.trim() || "KES",
      amountCents: cents,
      availableCents: toCents(available),
    });
  }
  return { accounts, problems };
}

export type BalanceResult = AsyncResult & {
  accounts: BalanceAccountLine[];
  problems: string[];
  completedAt: Date | null;
};

export function parseBalanceResult(body: string): Parsed<BalanceResult> {
  const base = parseAsyncResult(body);
  if (!base.ok) return base;
  const r = base.result;
  const value = text(r.params.AccountBalance ?? null);
  const parsed = value ? parseAccountBalance(value) : { accounts: [], problems: [] };
  return {
    ok: true,
    result: {
      ...r,
      ...parsed,
      completedAt: parseDarajaTimestamp(r.params.BOCompletedTime ?? null),
    },
  };
}

/** Identifiers any initiator result or timeout body may carry, read without trusting the rest. */
export function conversationIdsOf(body: string): {
  originatorConversationId: string | null;
  conversationId: string | null;
} {
  const scan = (key: string) => {
    const m = new RegExp(`"${key}"\\s*:\\s*"([^"\\\\]{1,100})"`).exec(body);
    const id = m?.[1].trim();
    // A control character (a raw NUL above all, which PostgreSQL text refuses) is in no identifier.
    return id && !/\p{Cc}/u.test(id) ? id : null;
  };
  return {
    originatorConversationId: scan("OriginatorConversationID"),
    conversationId: scan("ConversationID"),
  };
}
