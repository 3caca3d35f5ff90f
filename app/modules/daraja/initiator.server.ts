// Daraja's initiator APIs (docs/daraja.md#initiator-apis): Transaction Status, Reversal and Account
// Balance. Each is a POST acknowledged at once; the outcome arrives later on our ResultURL (or
// QueueTimeOutURL). We send our own OriginatorConversationID, stored before the request leaves, so
// a result can be matched even if it arrives before the acknowledgement is written.
import type { Config } from "../../config.server";
import { securityCredential } from "./security-credential.server";

export type InitiatorApi = "status" | "reversal" | "balance";

export type Ack =
  | { ok: true; originatorConversationId: string; conversationId: string | null }
  /**
   * `definite`: Daraja answered with an error. `refused`: that answer was a 4xx, the gateway refusing
   * the request's form, so nothing entered M-Pesa's queue (the console says "not sent"); a 5xx may
   * still hide a request that was taken (docs/daraja.md#daraja-errors), and its result is applied.
   */
  | { ok: false; definite: boolean; refused: boolean; message: string; errorCode?: string };

export type InitiatorApis = {
  transactionStatus(input: {
    originatorConversationId: string;
    receipt: string;
    remarks: string;
  }): Promise<Ack>;
  reversal(input: {
    originatorConversationId: string;
    receipt: string;
    amountKes: number;
    remarks: string;
  }): Promise<Ack>;
  accountBalance(input: { originatorConversationId: string; remarks: string }): Promise<Ack>;
};

type Post = (
  path: string,
  body: Record<string, unknown>,
) => Promise<{ status: number; json: unknown; durationMs: number }>;
type Record_ = (
  endpoint: string,
  call: {
    httpStatus: number | null;
    durationMs: number;
    outcome: string;
    errorCode?: string;
    message?: string;
  },
) => Promise<void>;

const PATHS: Record<InitiatorApi, string> = {
  status: "/mpesa/transactionstatus/v1/query",
  reversal: "/mpesa/reversal/v1/request",
  balance: "/mpesa/accountbalance/v1/query",
};

/** Remarks are 2–100 characters (docs/daraja.md#reversal); Daraja refuses shorter ones. */
export function remarksFor(text: string): string {
  const clean = text
    .replace(/[^\p{L}\p{N} .,:/-]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return (clean.length >= 2 ? clean : "Console request").slice(0, 100);
}

export function createInitiatorApis(deps: {
  mpesa: Config["mpesa"];
  post: Post;
  record: Record_;
}): InitiatorApis {
  const { mpesa } = deps;
  const hooks = (api: InitiatorApi) => ({
    ResultURL: `${mpesa.resultHookBase}/${api}/result/${mpesa.callbackToken}`,
    QueueTimeOutURL: `${mpesa.resultHookBase}/${api}/timeout/${mpesa.callbackToken}`,
  });

  async function send(api: InitiatorApi, body: Record<string, unknown>): Promise<Ack> {
    const initiator = mpesa.initiator;
    if (!initiator)
      return {
        ok: false,
        definite: true,
        refused: true,
        message: "The M-Pesa initiator is not configured.",
      };
    const started = Date.now();
    let result: Awaited<ReturnType<Post>>;
    try {
      result = await deps.post(PATHS[api], {
        Initiator: initiator.name,
        SecurityCredential: securityCredential(initiator),
        ...body,
        ...hooks(api),
      });
    } catch (cause) {
      const message = `No answer from M-Pesa (${cause instanceof Error ? cause.message : "network error"}); the request may have been taken`;
      await deps.record(api, {
        httpStatus: null,
        durationMs: Date.now() - started,
        outcome: "transport_error",
        message,
      });
      return { ok: false, definite: false, refused: false, message };
    }
    const json = (result.json ?? {}) as Record<string, unknown>;
    const accepted = result.status === 200 && String(json.ResponseCode ?? "") === "0";
    const errorCode = accepted ? undefined : String(json.errorCode ?? json.ResponseCode ?? "");
    const message = accepted
      ? String(json.ResponseDescription ?? "Accepted")
      : String(json.errorMessage ?? json.ResponseDescription ?? `HTTP ${result.status}`);
    await deps.record(api, {
      httpStatus: result.status,
      durationMs: result.durationMs,
      outcome: accepted ? "accepted" : "error",
      errorCode: errorCode || undefined,
      message,
    });
    if (!accepted)
      // A 5xx without a Daraja error code (a gateway page) may hide a request that was taken.
      return {
        ok: false,
        definite: result.status < 500 || !!json.errorCode,
        refused: result.status >= 400 && result.status < 500,
        message: `M-Pesa refused the request: ${message}`,
        errorCode: errorCode || undefined,
      };
    return {
      ok: true,
      originatorConversationId: String(
        json.OriginatorConversationID ?? body.OriginatorConversationID,
      ),
      conversationId: typeof json.ConversationID === "string" ? json.ConversationID : null,
    };
  }

  return {
    transactionStatus: (input) =>
      send("status", {
        CommandID: "TransactionStatusQuery",
        OriginatorConversationID: input.originatorConversationId,
        TransactionID: input.receipt,
        PartyA: mpesa.shortcode,
        IdentifierType: "4",
        Remarks: remarksFor(input.remarks),
        Occasion: "",
      }),
    reversal: (input) =>
      send("reversal", {
        CommandID: "TransactionReversal",
        OriginatorConversationID: input.originatorConversationId,
        TransactionID: input.receipt,
        Amount: String(input.amountKes),
        ReceiverParty: mpesa.shortcode,
        // Sic: Daraja's own spelling (docs/daraja.md#reversal).
        RecieverIdentifierType: "11",
        Remarks: remarksFor(input.remarks),
        Occasion: "",
      }),
    accountBalance: (input) =>
      send("balance", {
        CommandID: "AccountBalance",
        OriginatorConversationID: input.originatorConversationId,
        PartyA: mpesa.shortcode,
        IdentifierType: "4",
        Remarks: remarksFor(input.remarks),
      }),
  };
}
