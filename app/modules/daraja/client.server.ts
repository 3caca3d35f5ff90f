// The only code that speaks Daraja (docs/daraja.md#oauth, #stk-push, #stk-query,
// #c2b-registration). Everything else calls these typed functions; no other module builds a Daraja
// URL or body. Every outbound call is recorded in daraja_calls (endpoint, status, duration, request
// id, masked phone; never a secret).
import type { Db } from "../../../db/client";
import { darajaCalls } from "../../../db/schema";
import type { Config } from "../../config.server";
import { toDarajaTimestamp } from "../../lib/time";
import {
  isDarajaError,
  classifyDarajaFailure,
  classifyQueryResponse,
  DarajaError,
  transportError,
  type QueryAnswer,
} from "./errors";
import { createTokenSource, isTimeout, readJson, type TokenSource } from "./oauth.server";
import { createInitiatorApis, type InitiatorApis } from "./initiator.server";
import { stkPassword } from "./password";
import { maskPhone } from "./phone";

export type StkPushInput = {
  phone: string; // normalised 2547…/2541…
  amountKes: number;
  accountReference: string; // ≤ 12 characters
  transactionDesc: string; // ≤ 13 characters, always sent (docs/daraja.md#stk-push-request)
};
export type StkPushAccepted = {
  merchantRequestId: string;
  checkoutRequestId: string;
  responseCode: string;
  customerMessage: string;
  requestBody: Record<string, unknown>;
};
export type QueryResult = ReturnType<typeof classifyQueryResponse>;
export type CallRef = { paymentId?: string; attemptId?: string };

export type DarajaClient = {
  stkPush(input: StkPushInput, ref?: CallRef): Promise<StkPushAccepted>;
  stkQuery(checkoutRequestId: string, ref?: CallRef): Promise<QueryResult>;
  registerC2bUrls(input: {
    confirmationUrl: string;
    validationUrl: string;
    responseType?: "Completed" | "Cancelled";
  }): Promise<unknown>;
  tokens: TokenSource;
  /** Transaction Status, Reversal, Account Balance (initiator.server.ts). */
  initiator: InitiatorApis;
};

export type DarajaDeps = { db: Db; mpesa: Config["mpesa"]; now: () => Date; fetch?: typeof fetch };

export const ACCOUNT_REFERENCE_MAX = 12;
export const TRANSACTION_DESC_MAX = 13;

export function createDarajaClient(deps: DarajaDeps): DarajaClient {
  const { db, mpesa, now } = deps;
  const doFetch = deps.fetch ?? fetch;

  async function record(
    endpoint: string,
    call: {
      httpStatus: number | null;
      durationMs: number;
      outcome: string;
      errorCode?: string;
      message?: string;
      darajaRequestId?: string;
      phone?: string;
      checkoutRequestId?: string;
      ref?: CallRef;
    },
  ) {
    await db.insert(darajaCalls).values({
      endpoint,
      httpStatus: call.httpStatus,
      durationMs: call.durationMs,
      outcome: call.outcome,
      errorCode: call.errorCode ?? null,
      message: call.message?.slice(0, 500) ?? null,
      darajaRequestId: call.darajaRequestId ?? null,
      maskedPhone: call.phone ? maskPhone(call.phone) : null,
      checkoutRequestId: call.checkoutRequestId ?? null,
      paymentId: call.ref?.paymentId ?? null,
      attemptId: call.ref?.attemptId ?? null,
    });
  }

  const tokens = createTokenSource({
    db,
    baseUrl: mpesa.baseUrl,
    consumerKey: mpesa.consumerKey,
    consumerSecret: mpesa.consumerSecret,
    timeoutMs: mpesa.timeoutMs,
    now,
    fetch: doFetch,
    record: (call) => record("oauth", call),
  });

  /** POSTs with a Bearer token; on 404.001.03 the token is dropped and the call retried once
   * (docs/daraja.md#oauth). */
  async function post(
    path: string,
    body: Record<string, unknown>,
    retried = false,
  ): Promise<{ status: number; json: unknown; durationMs: number; retryAfter: string | null }> {
    const token = await tokens.getToken();
    const started = Date.now();
    const response = await doFetch(`${mpesa.baseUrl}${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(mpesa.timeoutMs),
    });
    const json = await readJson(response);
    if (!retried && isInvalidToken(response.status, json)) {
      await tokens.invalidate(token);
      return post(path, body, true);
    }
    return {
      status: response.status,
      json,
      durationMs: Date.now() - started,
      retryAfter: response.headers.get("retry-after"),
    };
  }

  function credentials() {
    // One timestamp per request, used for both Password and Timestamp
    // (docs/daraja.md#password-and-timestamp).
    const timestamp = toDarajaTimestamp(now());
    return {
      BusinessShortCode: mpesa.shortcode,
      Password: stkPassword(mpesa.shortcode, mpesa.passkey, timestamp),
      Timestamp: timestamp,
    };
  }

  return {
    tokens,
    initiator: createInitiatorApis({ mpesa, post, record }),

    async stkPush(input, ref) {
      const { Password, ...visible } = credentials();
      const requestBody = {
        ...visible,
        TransactionType: mpesa.transactionType,
        Amount: input.amountKes,
        PartyA: input.phone,
        PartyB: mpesa.partyB,
        PhoneNumber: input.phone,
        CallBackURL: mpesa.callbackUrl,
        AccountReference: input.accountReference.slice(0, ACCOUNT_REFERENCE_MAX),
        TransactionDesc: (input.transactionDesc || "Payment").slice(0, TRANSACTION_DESC_MAX),
      };
      const started = Date.now();
      let result: Awaited<ReturnType<typeof post>>;
      try {
        result = await post("/mpesa/stkpush/v1/processrequest", { ...requestBody, Password });
      } catch (cause) {
        if (isDarajaError(cause)) throw cause; // OAuth failed: no push left us, the outcome is known
        // A lost response does not prove no prompt was sent (docs/daraja.md#daraja-errors): the
        // caller must treat it as unknown.
        const error = transportError("push", cause, isTimeout(cause));
        await record("push", {
          httpStatus: null,
          durationMs: Date.now() - started,
          outcome: "transport_error",
          message: error.message,
          phone: input.phone,
          ref,
        });
        throw error;
      }
      const body = (result.json ?? {}) as Record<string, unknown>;
      if (
        result.status === 200 &&
        String(body.ResponseCode) === "0" &&
        typeof body.CheckoutRequestID === "string"
      ) {
        await record("push", {
          httpStatus: 200,
          durationMs: result.durationMs,
          outcome: "accepted",
          phone: input.phone,
          checkoutRequestId: body.CheckoutRequestID,
          ref,
        });
        return {
          merchantRequestId: String(body.MerchantRequestID ?? ""),
          checkoutRequestId: body.CheckoutRequestID,
          responseCode: "0",
          customerMessage: String(body.CustomerMessage ?? ""),
          requestBody,
        };
      }
      const error = classifyDarajaFailure("push", result.status, result.json);
      await record("push", {
        httpStatus: result.status,
        durationMs: result.durationMs,
        outcome: "error",
        errorCode: error.darajaErrorCode,
        message: error.message,
        darajaRequestId: error.requestId,
        phone: input.phone,
        ref,
      });
      throw error;
    },

    async stkQuery(checkoutRequestId, ref) {
      const started = Date.now();
      let answer: QueryResult;
      let status: number | null = null;
      try {
        const result = await post("/mpesa/stkpushquery/v1/query", {
          ...credentials(),
          CheckoutRequestID: checkoutRequestId,
        });
        status = result.status;
        answer = bindQueryAnswer(
          checkoutRequestId,
          classifyQueryResponse(result.status, result.json, result.retryAfter),
        );
      } catch (cause) {
        answer = {
          kind: "error",
          error: isDarajaError(cause) ? cause : transportError("query", cause, isTimeout(cause)),
        };
      }
      await record("query", {
        httpStatus: status,
        durationMs: Date.now() - started,
        outcome: answer.kind,
        errorCode:
          answer.kind === "error"
            ? answer.error.darajaErrorCode
            : answer.kind === "final"
              ? answer.resultCode
              : undefined,
        message: answer.kind === "error" ? answer.error.message : undefined,
        checkoutRequestId,
        ref,
      });
      return answer;
    },

    async registerC2bUrls(input) {
      const started = Date.now();
      const result = await post("/mpesa/c2b/v1/registerurl", {
        ShortCode: mpesa.shortcode,
        ResponseType: input.responseType ?? "Completed",
        ConfirmationURL: input.confirmationUrl,
        ValidationURL: input.validationUrl,
      });
      const ok =
        result.status === 200 &&
        String((result.json as { ResponseCode?: unknown } | null)?.ResponseCode) === "0";
      await record("c2b_register", {
        httpStatus: result.status,
        durationMs: Date.now() - started,
        outcome: ok ? "ok" : "error",
      });
      if (!ok) throw classifyDarajaFailure("push", result.status, result.json);
      return result.json;
    },
  };
}

function isInvalidToken(status: number, body: unknown): boolean {
  const code = (body as { errorCode?: unknown } | null)?.errorCode;
  // 404.001.03 is Daraja's "Invalid Access Token"; 400/401.003.01 are the same class on other APIs.
  return (
    code === "404.001.03" ||
    ((status === 401 || status === 400) && code != null && /\.003\.01$/.test(String(code)))
  );
}

/**
 * A final STK Query answer counts only for the CheckoutRequestID we asked about: an answer that
 * echoes another (or none) is recorded as an error and never applied to our payment.
 */
export function bindQueryAnswer(asked: string, answer: QueryAnswer): QueryAnswer {
  if (answer.kind !== "final" || answer.checkoutRequestId === asked) return answer;
  return {
    kind: "error",
    error: new DarajaError({
      kind: "unexpected",
      endpoint: "query",
      retryable: true,
      outcomeUnknown: true,
      message: `STK Query answered ResultCode ${answer.resultCode} for ${answer.checkoutRequestId ? `another CheckoutRequestID (${answer.checkoutRequestId})` : "no CheckoutRequestID"}, not ours; the answer was not applied`,
    }),
  };
}
