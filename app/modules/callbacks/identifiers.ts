// The identifiers of a stored callback, read cheaply and tolerantly at intake so the raw log, search
// and the API find it the moment it is stored, before (or without) the full parse and apply. Nothing
// here decides anything about money: the full parser (parse.ts, c2b-parse.ts) does that later.

import { conversationIdsOf } from "../daraja/results";

/** Results and timeouts of the initiator APIs (docs/daraja.md#initiator-apis), one kind each. */
export const INITIATOR_HOOK_KINDS = [
  "status_result",
  "status_timeout",
  "reversal_result",
  "reversal_timeout",
  "balance_result",
  "balance_timeout",
] as const;
export type InitiatorHookKind = (typeof INITIATOR_HOOK_KINDS)[number];

export type CallbackKind = "stk" | "c2b_confirmation" | "c2b_validation" | InitiatorHookKind;

export function isInitiatorHookKind(kind: string): kind is InitiatorHookKind {
  return (INITIATOR_HOOK_KINDS as readonly string[]).includes(kind);
}

export type CallbackIdentifiers = {
  checkoutRequestId: string | null;
  merchantRequestId: string | null;
  receipt: string | null;
  conversationId?: string | null;
};

const NONE: CallbackIdentifiers = {
  checkoutRequestId: null,
  merchantRequestId: null,
  receipt: null,
};
const MAX_ID = 100; // longer values are not identifiers; the row stays findable by its raw text

function idOf(value: unknown): string | null {
  const text =
    typeof value === "string" ? value.trim() : typeof value === "number" ? String(value) : "";
  // A control character or a lone surrogate is in no identifier, and PostgreSQL refuses a NUL in
  // text: such a value would keep the raw row from being stored at all.
  return text && text.length <= MAX_ID && !/[\p{Cc}\p{Cs}]/u.test(text) ? text : null;
}

// For bodies that are not JSON (cut short, HTML around it…): the first `"Name": "value"` pair wins.
function scan(text: string, key: string): string | null {
  const m = new RegExp(`"${key}"\\s*:\\s*"([^"\\\\]{1,${MAX_ID}})"`).exec(text);
  return m ? idOf(m[1]) : null;
}
function scanReceipt(text: string): string | null {
  const m =
    /"Name"\s*:\s*"MpesaReceiptNumber"\s*,\s*"Value"\s*:\s*"([^"\\]{1,100})"/.exec(text) ??
    /"Value"\s*:\s*"([^"\\]{1,100})"\s*,\s*"Name"\s*:\s*"MpesaReceiptNumber"/.exec(text);
  return m ? idOf(m[1]) : null;
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === "object" && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

export function extractIdentifiers(kind: CallbackKind, body: Uint8Array): CallbackIdentifiers {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (isInitiatorHookKind(kind)) {
    // Our own OriginatorConversationID first: it is stored before the request leaves.
    const ids = conversationIdsOf(text);
    return { ...NONE, conversationId: ids.originatorConversationId ?? ids.conversationId };
  }
  if (kind !== "stk") {
    // C2B confirmation / validation: TransID is the M-Pesa receipt.
    return {
      ...NONE,
      receipt: json !== undefined ? idOf(field(json, "TransID")) : scan(text, "TransID"),
    };
  }
  if (json === undefined)
    return {
      checkoutRequestId: scan(text, "CheckoutRequestID"),
      merchantRequestId: scan(text, "MerchantRequestID"),
      receipt: scanReceipt(text),
    };
  const cb = field(field(json, "Body"), "stkCallback");
  const items = field(field(cb, "CallbackMetadata"), "Item");
  const receiptItem = Array.isArray(items)
    ? items.find((item) => field(item, "Name") === "MpesaReceiptNumber")
    : undefined;
  return {
    checkoutRequestId: idOf(field(cb, "CheckoutRequestID")),
    merchantRequestId: idOf(field(cb, "MerchantRequestID")),
    receipt: idOf(field(receiptItem, "Value")),
  };
}

/** The stored kind of a request to /hooks/daraja/:api/:hook/:token, or null for an unknown API. */
export function initiatorHookKind(
  api: string | undefined,
  hook: "result" | "timeout",
): InitiatorHookKind | null {
  const kind = `${api}_${hook}`;
  return isInitiatorHookKind(kind) ? kind : null;
}
