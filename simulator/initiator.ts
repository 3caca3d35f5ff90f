// Daraja's initiator APIs (docs/daraja.md#initiator-apis, #transaction-status, #reversal,
// #account-balance): Transaction Status, Reversal and Account Balance. Each validates its request
// like Daraja, answers with the asynchronous acknowledgement at once, and later POSTs the result to
// ResultURL (or a timeout to QueueTimeOutURL). Results carry the documented quirks: a placeholder
// TransactionID, items without Value, numeric times and amounts, trailing spaces, string ResultCodes.
// POST /__sim/next-initiator-result forces the next outcome per API.
import { eatTimestamp } from "./clock";
import type { Exchange, Sim } from "./context";
import { invalidField, sendDarajaError } from "./daraja-errors";
import { readDarajaBody, type JsonObject } from "./daraja-request";
import { deliver } from "./callbacks";
import { sendJson } from "./http-io";
import { draw, makeMerchantRequestId, makeReceipt } from "./ids";
import { initiatorValid } from "./initiator-auth";
import type { InitiatorApi, InitiatorOutcome, InitiatorRequest, Prompt } from "./state";
import { checkCallbackUrl } from "./validation";

const COMMANDS: Record<InitiatorApi, string> = {
  status: "TransactionStatusQuery",
  reversal: "TransactionReversal",
  balance: "AccountBalance",
};

type Param = { Key: string; Value?: string | number };

/** Checks the request as Daraja's gateway does, naming the first bad field. */
function validate(sim: Sim, api: InitiatorApi, body: JsonObject): string | null {
  const text = (k: string) => (typeof body[k] === "string" ? (body[k] as string).trim() : "");
  if (!text("Initiator")) return "Initiator";
  if (!text("SecurityCredential")) return "SecurityCredential";
  if (body.CommandID !== COMMANDS[api]) return "CommandID";
  if (!checkCallbackUrl(body.ResultURL)) return "ResultURL";
  if (!checkCallbackUrl(body.QueueTimeOutURL)) return "QueueTimeOutURL";
  const remarks = text("Remarks");
  if (remarks.length < 2 || remarks.length > 100) return "Remarks";
  if (api === "reversal") {
    if (!/^[A-Z0-9]{10}$/.test(text("TransactionID"))) return "TransactionID";
    if (!/^\d{1,6}$/.test(String(body.Amount ?? "")) || Number(body.Amount) < 1) return "Amount";
    if (String(body.ReceiverParty ?? "") !== sim.creds.shortcode) return "ReceiverParty";
    // Sic: Daraja's spelling; "11" now, "4" in older docs (docs/daraja.md#reversal).
    if (!["11", "4"].includes(String(body.RecieverIdentifierType ?? "")))
      return "RecieverIdentifierType";
  } else {
    if (api === "status" && !/^[A-Z0-9]{10}$/.test(text("TransactionID"))) return "TransactionID";
    if (String(body.PartyA ?? "") !== sim.creds.shortcode) return "PartyA";
    if (String(body.IdentifierType ?? "") !== "4") return "IdentifierType";
  }
  return null;
}

export const handleTransactionStatus = (sim: Sim, ex: Exchange) => handle(sim, ex, "status");
export const handleReversal = (sim: Sim, ex: Exchange) => handle(sim, ex, "reversal");
export const handleAccountBalance = (sim: Sim, ex: Exchange) => handle(sim, ex, "balance");

async function handle(sim: Sim, ex: Exchange, api: InitiatorApi): Promise<void> {
  const body = readDarajaBody(sim, ex, "Initiator");
  if (!body) return;
  const bad = validate(sim, api, body);
  if (bad) return sendDarajaError(sim, ex, invalidField(bad));
  const forced = sim.state.initiator.next[api].shift();
  // The gateway refuses the request's form (HTTP 400): nothing is queued, no result ever comes.
  if (forced === "refused")
    return sendDarajaError(sim, ex, invalidField(api === "balance" ? "PartyA" : "TransactionID"));
  const request: InitiatorRequest = {
    api,
    originatorConversationId:
      typeof body.OriginatorConversationID === "string" && body.OriginatorConversationID.trim()
        ? body.OriginatorConversationID.trim()
        : makeMerchantRequestId(sim.rng),
    conversationId: `AG_${eatTimestamp(sim.now()).slice(0, 8)}_${draw(sim.rng, "0123456789abcdef", 20)}`,
    transactionId: typeof body.TransactionID === "string" ? body.TransactionID.trim() : null,
    amount: body.Amount === undefined ? null : Number(body.Amount),
    resultUrl: String(body.ResultURL),
    timeoutUrl: String(body.QueueTimeOutURL),
    // A wrong initiator or credential is accepted, then fails in the result (ResultCode 2001).
    outcome: initiatorValid(body.Initiator, body.SecurityCredential)
      ? (forced ?? "natural")
      : "initiator_invalid",
    result: null,
    at: new Date(sim.now()).toISOString(),
  };
  sim.state.initiator.requests.push(request);
  // M-Pesa's result can overtake its acknowledgement: delivered (and answered) before the call's reply.
  if (request.outcome === "result_first") await sendResult(sim, request);
  sendJson(ex.res, 200, {
    OriginatorConversationID: request.originatorConversationId,
    ConversationID: request.conversationId,
    ResponseCode: "0",
    ResponseDescription: "Accept the service request successfully.",
  });
  if (request.outcome !== "result_first")
    sim.timers.after(sim.config.latencyMs, () => void sendResult(sim, request));
}

async function sendResult(sim: Sim, request: InitiatorRequest): Promise<void> {
  if (request.outcome === "drop") return;
  if (request.outcome === "timeout") {
    await deliver(sim, {
      kind: "initiator_timeout",
      checkoutRequestId: null,
      url: request.timeoutUrl,
      body: {
        Result: {
          ResultType: 1,
          ResultCode: "SVC0001",
          ResultDesc: "The request timed out in the queue.",
          OriginatorConversationID: request.originatorConversationId,
          ConversationID: request.conversationId,
        },
      },
    });
    return;
  }
  const body = resultBody(sim, request);
  request.result = body;
  const times = request.outcome === "duplicate" ? 2 : 1;
  for (let i = 0; i < times; i++)
    await deliver(sim, {
      kind: "initiator_result",
      checkoutRequestId: null,
      url: request.resultUrl,
      body,
    });
}

function envelope(
  request: InitiatorRequest,
  code: number | string,
  desc: string,
  transactionId: string,
  params: Param[] | null,
) {
  return {
    Result: {
      ResultType: 0,
      ResultCode: code,
      ResultDesc: desc,
      OriginatorConversationID: request.originatorConversationId,
      ConversationID: request.conversationId,
      TransactionID: transactionId,
      // One parameter travels as a bare object, several as an array (docs/daraja.md#initiator-apis).
      ...(params
        ? { ResultParameters: { ResultParameter: params.length === 1 ? params[0] : params } }
        : {}),
      ReferenceData: { ReferenceItem: { Key: "QueueTimeoutURL", Value: request.timeoutUrl } },
    },
  };
}

const placeholder = (sim: Sim) => `${makeReceipt(sim.rng, sim.now()).slice(0, 3)}0000000`;
const eatNumber = (ms: number) => Number(eatTimestamp(ms));

function paidPrompt(sim: Sim, receipt: string | null): Prompt | null {
  for (const prompt of sim.state.prompts.values())
    if (prompt.receipt === receipt && prompt.status === "paid") return prompt;
  return null;
}

function failure(sim: Sim, request: InitiatorRequest) {
  const o = request.outcome;
  if (o === "initiator_invalid")
    return envelope(request, 2001, "The initiator information is invalid.", placeholder(sim), null);
  if (o === "already_reversed")
    return envelope(
      request,
      "R000001",
      "The transaction has already been reversed.",
      placeholder(sim),
      null,
    );
  if (o === "invalid_original" || o === "not_found")
    return envelope(
      request,
      "R000002",
      "The OriginalTransactionID is invalid.",
      placeholder(sim),
      null,
    );
  return null;
}

function resultBody(sim: Sim, request: InitiatorRequest) {
  const failed = failure(sim, request);
  if (failed) return failed;
  if (request.api === "balance") return balanceResult(sim, request);
  const prompt = paidPrompt(sim, request.transactionId);
  if (!prompt && request.api === "status")
    return envelope(
      request,
      1,
      "The transaction receipt number does not exist.",
      placeholder(sim),
      null,
    );
  if (!prompt)
    return envelope(
      request,
      "R000002",
      "The OriginalTransactionID is invalid.",
      placeholder(sim),
      null,
    );
  return request.api === "status"
    ? statusResult(sim, request, prompt)
    : reversalResult(sim, request, prompt);
}

function statusResult(sim: Sim, request: InitiatorRequest, prompt: Prompt) {
  const at = eatNumber(prompt.resolvedAt ?? sim.now());
  const amount = prompt.paidAmount ?? prompt.amount;
  const params: Param[] = [
    { Key: "DebitPartyName", Value: `${prompt.phone} - SIMULATED CUSTOMER` },
    {
      Key: "CreditPartyName",
      Value: `${sim.creds.shortcode} - ${sim.creds.merchantName}          `,
    },
    { Key: "OriginatorConversationID", Value: request.originatorConversationId },
    { Key: "InitiatedTime", Value: at },
    { Key: "CreditPartyCharges" },
    { Key: "DebitAccountType", Value: "MMF Account For Customer" },
    { Key: "TransactionReason" },
    { Key: "ReasonType", Value: "Pay Bill Online" },
    { Key: "TransactionStatus", Value: "Completed" },
    { Key: "FinalisedTime", Value: at },
    // "incomplete": the receipt is missing, as an answer that must not move money.
    ...(request.outcome === "incomplete" ? [] : [{ Key: "Amount", Value: amount }]),
    { Key: "ConversationID", Value: request.conversationId },
    { Key: "ReceiptNo", Value: prompt.receipt! },
  ];
  return envelope(
    request,
    0,
    "The service request is processed successfully.",
    placeholder(sim),
    params,
  );
}

function reversalResult(sim: Sim, request: InitiatorRequest, prompt: Prompt) {
  const original = prompt.receipt!;
  const amount = prompt.paidAmount ?? prompt.amount;
  if (sim.state.initiator.reversed.has(original))
    return envelope(
      request,
      "R000001",
      "The transaction has already been reversed.",
      placeholder(sim),
      null,
    );
  if (request.amount !== amount)
    return envelope(
      request,
      11,
      "The reversal amount does not match the original transaction.",
      placeholder(sim),
      null,
    );
  const receipt = makeReceipt(sim.rng, sim.now());
  sim.state.initiator.reversed.set(original, receipt);
  const utility = utilityBalance(sim);
  const params: Param[] = [
    { Key: "DebitAccountBalance", Value: `Utility Account|KES|${utility}|${utility}|0.00|0.00` },
    { Key: "Amount", Value: request.outcome === "incomplete" ? "" : amount },
    { Key: "TransCompletedTime", Value: eatNumber(sim.now()) },
    { Key: "OriginalTransactionID", Value: original },
    { Key: "Charge", Value: 0 },
    { Key: "CreditPartyPublicName", Value: `${prompt.phone} - SIMULATED CUSTOMER` },
    { Key: "DebitPartyPublicName", Value: `${sim.creds.shortcode} - ${sim.creds.merchantName}` },
  ];
  return envelope(request, 0, "The service request is processed successfully.", receipt, params);
}

/** What the sandbox would hold: C2B money, paid prompts, less reversals, as `12345.00`. */
function utilityBalance(sim: Sim): string {
  let kes = sim.state.orgBalance;
  for (const prompt of sim.state.prompts.values())
    if (prompt.status === "paid") {
      const amount = prompt.paidAmount ?? prompt.amount;
      kes += sim.state.initiator.reversed.has(prompt.receipt ?? "") ? 0 : amount;
    }
  return kes.toFixed(2);
}

function balanceResult(sim: Sim, request: InitiatorRequest) {
  const utility = utilityBalance(sim);
  const accounts = [
    "Working Account|KES|0.00|0.00|0.00|0.00",
    "Float Account|KES|0.00|0.00|0.00|0.00",
    `Utility Account|KES|${utility}|${utility}|0.00|0.00`,
    "Charges Paid Account|KES|0.00|0.00|0.00|0.00",
    "Organization Settlement Account|KES|0.00|0.00|0.00|0.00",
  ].join("&");
  return envelope(request, 0, "The service request is processed successfully", placeholder(sim), [
    { Key: "AccountBalance", Value: accounts },
    { Key: "BOCompletedTime", Value: eatNumber(sim.now()) },
  ]);
}

/** The control API's view (GET /__sim/initiator). */
export function initiatorView(sim: Sim) {
  return {
    requests: sim.state.initiator.requests,
    queued: sim.state.initiator.next,
    reversed: Object.fromEntries(sim.state.initiator.reversed),
  };
}

export function queueInitiatorOutcome(
  sim: Sim,
  api: InitiatorApi,
  outcome: InitiatorOutcome,
  times = 1,
) {
  for (let i = 0; i < times; i++) sim.state.initiator.next[api].push(outcome);
  return sim.state.initiator.next[api];
}
