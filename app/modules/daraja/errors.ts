// Daraja failures in our words (docs/daraja.md#oauth, #daraja-errors, #stk-query): what went wrong,
// whether to retry, and whether the customer may have been prompted anyway. Branches on endpoint +
// errorCode + errorMessage, because one code (500.001.1001) means a config error, a locked
// subscriber or "still processing" depending on where it came from. Callers show `message`; the raw
// text stays in `darajaMessage`.
import { isHtmlPage, isUnreadable, readEnvelope, text } from "./envelope";
import { classifyStkResult } from "./result-codes";

export type DarajaEndpoint = "oauth" | "push" | "query";
export type DarajaErrorKind =
  | "invalid_request"
  | "auth"
  | "config"
  | "subscriber_locked"
  | "busy"
  | "rate_limited"
  | "not_found"
  | "transport"
  | "timeout"
  | "unexpected";

export type DarajaErrorInit = {
  kind: DarajaErrorKind;
  message: string;
  endpoint: DarajaEndpoint;
  /** Safe to send the same request again later (after a token refresh for `auth`). */
  retryable: boolean;
  /** Push only: the prompt may have reached the phone though we got no usable answer; reconcile, never re-push. */
  outcomeUnknown: boolean;
  darajaErrorCode?: string;
  darajaMessage?: string;
  httpStatus?: number;
  field?: string;
  requestId?: string;
  cause?: unknown;
};

// Process-wide brand (Symbol.for): see isDarajaError.
const DARAJA_ERROR = Symbol.for("mpesa-console.DarajaError");

export class DarajaError extends Error {
  readonly [DARAJA_ERROR] = true;
  override readonly name = "DarajaError";
  readonly kind: DarajaErrorKind;
  readonly endpoint: DarajaEndpoint;
  readonly retryable: boolean;
  readonly outcomeUnknown: boolean;
  readonly darajaErrorCode?: string;
  readonly darajaMessage?: string;
  readonly httpStatus?: number;
  readonly field?: string;
  readonly requestId?: string;

  constructor(init: DarajaErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.endpoint = init.endpoint;
    this.retryable = init.retryable;
    this.outcomeUnknown = init.outcomeUnknown;
    this.darajaErrorCode = init.darajaErrorCode;
    this.darajaMessage = init.darajaMessage;
    this.httpStatus = init.httpStatus;
    this.field = init.field;
    this.requestId = init.requestId;
  }
}

/**
 * Use this, not `instanceof DarajaError`: a second copy of this module (a server entry loaded beside
 * the bundle, a test double) makes `instanceof` false for a real Daraja refusal, and the refusal would
 * be recorded as an unexplained `unknown`.
 */
export function isDarajaError(value: unknown): value is DarajaError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [DARAJA_ERROR]?: unknown })[DARAJA_ERROR] === true
  );
}

const ADMIN = "an admin must check the settings";
export const DARAJA_MESSAGES = {
  subscriberLocked: "The customer already has an M-Pesa prompt open; wait a minute and retry",
  busy: "M-Pesa is busy; try again in a few minutes",
  rateLimited: "We are sending M-Pesa too many requests; try again in a minute",
  token:
    "M-Pesa rejected our access token; if this keeps happening, check that the app has Lipa na M-Pesa Online enabled",
  consumerKeys: `M-Pesa rejected our consumer key/secret (they may be for the other environment); ${ADMIN}`,
  product: `Our Daraja app is not allowed to use this M-Pesa product; ${ADMIN} or ask Safaricom to enable it`,
  credentials: `M-Pesa rejected our credentials (shortcode/passkey); ${ADMIN}`,
  noMerchant: `M-Pesa does not know our shortcode (not live yet, or the wrong environment); ${ADMIN}`,
  notFound: "M-Pesa has no record of this payment request",
  refusedNoCharge: "M-Pesa refused the payment request; the customer was not charged",
  queryUnknown: "M-Pesa has no final answer for this payment yet; we will ask again",
  malformed: "M-Pesa could not read our request; tell the developers",
  developers: "M-Pesa refused the request as we sent it; tell the developers",
  pushUnknown:
    "We got no clear answer from M-Pesa; the prompt may still have reached the customer, so wait for the result before sending another",
  pushTimeout:
    "M-Pesa did not answer in time; the prompt may still have reached the customer, so wait for the result before sending another",
  serverError: "M-Pesa had an internal error; try again in a few minutes",
  gatewayPagePush:
    "M-Pesa's gateway answered with a web page instead of a result; the prompt may still have reached the customer, so wait for the result before sending another",
  gatewayPageQuery:
    "M-Pesa's gateway answered with a web page instead of a result; we will ask again",
  unreachable: "Could not reach M-Pesa; try again in a few minutes",
  timeout: "M-Pesa did not answer in time; try again in a few minutes",
} as const;

// `Bad Request - Invalid <Field>`: the suffix is the only hint Daraja gives
// (docs/daraja.md#daraja-errors).
const FIELD_ERRORS: Record<string, [DarajaErrorKind, string]> = {
  phonenumber: ["invalid_request", "M-Pesa rejected the phone number"],
  partya: ["invalid_request", "M-Pesa rejected the phone number"],
  amount: [
    "invalid_request",
    "M-Pesa rejected the amount; it must be whole shillings from KES 1 to KES 250,000",
  ],
  accountreference: [
    "invalid_request",
    "M-Pesa rejected the account reference (at most 12 letters or digits)",
  ],
  remarks: ["invalid_request", "M-Pesa rejected the payment description (at most 13 characters)"],
  transactiondesc: [
    "invalid_request",
    "M-Pesa rejected the payment description (at most 13 characters)",
  ],
  checkoutrequestid: ["invalid_request", "M-Pesa did not recognise this payment's request ID"],
  timestamp: ["invalid_request", "M-Pesa rejected the request time stamp; tell the developers"],
  // A missing Content-Type classically shows up as "Invalid BusinessShortCode"
  // (docs/daraja.md#environments).
  businessshortcode: ["config", `M-Pesa rejected our shortcode; ${ADMIN}`],
  partyb: ["config", `M-Pesa rejected our till/paybill number; ${ADMIN}`],
  transactiontype: ["config", `M-Pesa rejected our till/paybill payment type; ${ADMIN}`],
  callbackurl: ["config", `M-Pesa rejected our callback URL; ${ADMIN}`],
};

const TOKEN_CODES = new Set(["404.001.03", "400.003.01", "401.003.01"]);

export function classifyDarajaFailure(
  endpoint: DarajaEndpoint,
  httpStatus: number,
  body: unknown,
): DarajaError {
  const envelope = readEnvelope(body);
  const code = envelope.errorCode ?? "";
  const said = envelope.errorMessage ?? "";
  const push = endpoint === "push";
  const make = (
    kind: DarajaErrorKind,
    message: string,
    retryable: boolean,
    outcomeUnknown = false,
    field?: string,
  ) =>
    new DarajaError({
      kind,
      message,
      endpoint,
      retryable,
      outcomeUnknown,
      field,
      httpStatus,
      darajaErrorCode: envelope.errorCode,
      darajaMessage: envelope.errorMessage,
      requestId: envelope.requestId,
    });

  // Throttling is refused at the gateway, before any prompt is sent.
  if (
    httpStatus === 429 ||
    code === "500.003.03" ||
    (code === "500.003.02" && /spike arrest/i.test(said))
  ) {
    return make("rate_limited", DARAJA_MESSAGES.rateLimited, true);
  }
  if (code === "500.003.02") return make("busy", DARAJA_MESSAGES.busy, true);
  // Daraja says 404 (not 401) for a bad token; the caller refreshes once and retries once
  // (docs/daraja.md#oauth).
  if (TOKEN_CODES.has(code) || /invalid access token/i.test(said))
    return make("auth", DARAJA_MESSAGES.token, endpoint !== "oauth");
  if (/no apiproduct match/i.test(said)) return make("config", DARAJA_MESSAGES.product, false);
  if (code === "400.008.01") return make("auth", DARAJA_MESSAGES.consumerKeys, false);
  if (code === "400.008.02") return make("config", DARAJA_MESSAGES.developers, false);

  const field = /^bad request\s*-\s*invalid\s+([a-z]+)/i.exec(said)?.[1];
  if (field) {
    const key = field.toLowerCase();
    const [kind, message] = Object.hasOwn(FIELD_ERRORS, key)
      ? FIELD_ERRORS[key]
      : ["invalid_request" as const, `M-Pesa rejected the request's ${field}; tell the developers`];
    return make(kind, message, false, false, field);
  }
  if (code === "400.002.05") return make("invalid_request", DARAJA_MESSAGES.malformed, false);
  if (code === "400.002.02") return make("invalid_request", DARAJA_MESSAGES.developers, false);

  if (code === "500.001.1001") {
    if (/unable to lock subscriber|already in process/i.test(said))
      return make("subscriber_locked", DARAJA_MESSAGES.subscriberLocked, true);
    if (/wrong credentials/i.test(said)) return make("config", DARAJA_MESSAGES.credentials, false);
    if (/merchant does not exist/i.test(said))
      return make("config", DARAJA_MESSAGES.noMerchant, false);
    if (/transaction does not exist/i.test(said))
      return make("not_found", DARAJA_MESSAGES.notFound, false);
    // docs/daraja.md#daraja-errors: other 500.001.1001 texts mean failure-without-charge on the
    // push, still-unknown on a query.
    if (push) return make("unexpected", DARAJA_MESSAGES.refusedNoCharge, false);
    if (endpoint === "query") return make("unexpected", DARAJA_MESSAGES.queryUnknown, true);
  }
  if (code === "404.001.01")
    return make("config", `M-Pesa does not know this API address; ${ADMIN}`, false);
  if (code === "404.001.04" || code === "405.001")
    return make("unexpected", DARAJA_MESSAGES.developers, false);

  // No code we know. A wrong environment's consumer keys get an empty 400 from OAuth
  // (docs/daraja.md#environments).
  if (endpoint === "oauth" && (httpStatus === 400 || httpStatus === 401 || httpStatus === 403))
    return make("auth", DARAJA_MESSAGES.consumerKeys, false);
  if (!code && (httpStatus === 401 || httpStatus === 403))
    return make("auth", DARAJA_MESSAGES.token, true);
  if (httpStatus >= 200 && httpStatus < 300) {
    // A 200 we could not use: a non-zero ResponseCode is a clear refusal, anything else is a mystery.
    const responseCode = text(envelope.record?.ResponseCode);
    if (responseCode !== undefined && responseCode !== "0")
      return make("unexpected", DARAJA_MESSAGES.refusedNoCharge, false);
  } else if (httpStatus >= 400 && httpStatus < 500) {
    return make("unexpected", DARAJA_MESSAGES.developers, false);
  }
  // An HTML page, whatever the status (2026: HTTP 200 with a gateway page happens): never a result.
  if (isHtmlPage(body)) {
    if (push) return make("unexpected", DARAJA_MESSAGES.gatewayPagePush, false, true);
    if (endpoint === "query") return make("unexpected", DARAJA_MESSAGES.gatewayPageQuery, true);
  }
  // 5xx (500.003.1001 "Internal Server Error", a gateway HTML page, an empty body) or an unusable
  // 200: on the push the request may have been accepted before the answer was lost
  // (docs/daraja.md#daraja-errors).
  if (push) return make("unexpected", DARAJA_MESSAGES.pushUnknown, false, true);
  return make(
    "unexpected",
    endpoint === "query" ? DARAJA_MESSAGES.queryUnknown : DARAJA_MESSAGES.serverError,
    true,
  );
}

// Failures that happen before a single request byte leaves this machine: nothing can have been sent.
const NEVER_CONNECTED = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function errorCodes(cause: unknown): string[] {
  const codes: string[] = [];
  // fetch (undici) wraps the socket error: TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }).
  for (
    let current = cause, depth = 0;
    current && typeof current === "object" && depth < 4;
    depth++
  ) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** A network failure or our own time limit, before any HTTP answer arrived. */
export function transportError(
  endpoint: DarajaEndpoint,
  cause: unknown,
  timedOut: boolean,
): DarajaError {
  const neverSent = errorCodes(cause).some((code) => NEVER_CONNECTED.has(code));
  const outcomeUnknown = endpoint === "push" && !neverSent;
  const message = outcomeUnknown
    ? timedOut
      ? DARAJA_MESSAGES.pushTimeout
      : DARAJA_MESSAGES.pushUnknown
    : timedOut
      ? DARAJA_MESSAGES.timeout
      : DARAJA_MESSAGES.unreachable;
  return new DarajaError({
    kind: timedOut ? "timeout" : "transport",
    message,
    endpoint,
    retryable: !outcomeUnknown,
    outcomeUnknown,
    cause,
  });
}

export type QueryAnswer =
  | {
      kind: "final";
      resultCode: string;
      resultDesc: string;
      merchantRequestId?: string;
      checkoutRequestId?: string;
    }
  | {
      kind: "processing";
      /** 2026: Daraja answered 400 `Invalid CheckoutRequestID` for an ID it gave us — asked too early. */
      notYetKnown?: true;
    }
  | { kind: "not_found" }
  // retryAfter: the answer's Retry-After header, as sent (seconds or an HTTP date).
  | { kind: "rate_limited"; retryAfter?: string }
  | {
      kind: "error";
      error: DarajaError;
      retryAfter?: string;
      /** Daraja or its gateway is failing, not this payment (see isDarajaUnavailable). */
      unavailable?: true;
    };

/** Reads an STK Query answer (docs/daraja.md#stk-query): a 500 can mean "keep waiting", a 200 can
 * mean "not final yet". */
export function classifyQueryResponse(
  httpStatus: number,
  body: unknown,
  retryAfter?: string | null,
): QueryAnswer {
  const envelope = readEnvelope(body);
  const record = envelope.record;
  const after = retryAfter ? { retryAfter } : {};
  if (httpStatus === 429) return { kind: "rate_limited", ...after };
  const resultCode = text(record?.ResultCode);
  if (httpStatus >= 200 && httpStatus < 300 && resultCode !== undefined && !envelope.errorCode) {
    // 4999 "still under processing" (2026) is the one non-final code; result-codes.ts decides.
    if (!classifyStkResult(resultCode).final) return { kind: "processing" };
    return {
      kind: "final",
      resultCode,
      resultDesc: typeof record?.ResultDesc === "string" ? record.ResultDesc : "",
      merchantRequestId: text(record?.MerchantRequestID),
      checkoutRequestId: text(record?.CheckoutRequestID),
    };
  }
  const code = envelope.errorCode;
  const said = envelope.errorMessage ?? "";
  if (code === "500.001.1001" && /being processed|under processing/i.test(said))
    return { kind: "processing" };
  if (code === "500.001.1001" && /transaction does not exist/i.test(said))
    return { kind: "not_found" };
  if (code === "500.003.02" || code === "500.003.03") return { kind: "rate_limited", ...after };
  // Asked too early, Daraja does not know its own CheckoutRequestID yet (2026 sandbox): the callers
  // only ask about IDs Daraja gave us, so this is "not yet known", never "failed" or "not ours".
  if (httpStatus === 400 && code === "400.002.02" && /invalid\s*checkoutrequestid/i.test(said))
    return { kind: "processing", notYetKnown: true };
  const error = classifyDarajaFailure("query", httpStatus, body);
  // docs/daraja.md#daraja-errors: any other 5xx (500.003.1001 "Daraja's own error", a gateway's
  // empty or HTML 502/503) and a body that is no JSON at all (a gateway page, whatever the status)
  // say Daraja is failing. 500.001.1001 texts we do not know stay "still unknown" on a query.
  if (code !== "500.001.1001" && (httpStatus >= 500 || isUnreadable(body)))
    return { kind: "error", error, ...after, unavailable: true };
  return { kind: "error", error, ...after };
}

/**
 * An STK Query answer that says Daraja, or our access to it, is failing rather than anything about
 * the payment asked about (docs/daraja.md#daraja-errors, #oauth): a 5xx that is not STK Query's own
 * "still processing" / "does not exist" answer, a gateway page, no answer at all (network, time-out),
 * or a refused token, consumer key, credential or shortcode. The poller pauses every query on it.
 */
/**
 * An outage on M-Pesa's side or on the way to it (a 5xx that is not STK Query's own answer, a gateway
 * page, a network failure or time-out): time lost to it does not count toward a payment's give-up.
 * Refused credentials or configuration (also a reason to pause) are ours to fix, and do count.
 */
export function isDarajaDown(answer: QueryAnswer): boolean {
  if (answer.kind !== "error") return false;
  const { kind, endpoint, httpStatus } = answer.error;
  if (kind === "auth" || kind === "config") return false;
  return (
    !!answer.unavailable ||
    kind === "transport" ||
    kind === "timeout" ||
    (endpoint === "oauth" && (httpStatus ?? 0) >= 500)
  );
}

export function isDarajaUnavailable(answer: QueryAnswer): boolean {
  if (answer.kind !== "error") return false;
  const { endpoint, kind, darajaErrorCode } = answer.error;
  if (answer.unavailable || endpoint === "oauth" || darajaErrorCode === "404.001.04") return true;
  return kind === "transport" || kind === "timeout" || kind === "auth" || kind === "config";
}
