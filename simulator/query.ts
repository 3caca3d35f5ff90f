// STK Query (docs/daraja.md#stk-query). Pending has two wire forms: the classic HTTP 500 "being
// processed" and the 2026 HTTP 200 ResultCode "4999". A final answer carries ResultCode as a STRING
// and keeps Daraja's "successsfully" typo, because clients are parsed against the real thing.
import type { Exchange, Sim } from "./context";
import { ERRORS, sendDarajaError } from "./daraja-errors";
import { readDarajaBody } from "./daraja-request";
import { sendJson } from "./http-io";
import { OUTCOMES } from "./outcomes";
import type { Prompt, QueryOverride } from "./state";
import { merchantOf } from "./stk";
import { validateStkQuery } from "./validation";

const ACCEPTED = "The service request has been accepted successsfully";

export function handleStkQuery(sim: Sim, ex: Exchange): void {
  const body = readDarajaBody(sim, ex);
  if (!body) return;
  const checked = validateStkQuery(body, merchantOf(sim), sim.now());
  if (!checked.ok) return sendDarajaError(sim, ex, checked.error);
  const id = checked.value;
  if (ex.entry) ex.entry.checkoutRequestId = id;
  sim.state.counts.queries++;
  sim.state.queriesByCheckoutRequestId.set(
    id,
    (sim.state.queriesByCheckoutRequestId.get(id) ?? 0) + 1,
  );

  const override = sim.state.next.queries.shift();
  if (override) return answerOverride(sim, ex, override, id);
  const prompt = sim.state.prompts.get(id);
  if (!prompt) return sendDarajaError(sim, ex, ERRORS.transactionMissing);
  if (prompt.status === "pending" || prompt.result === null) return answerPending(sim, ex, prompt);
  sendJson(ex.res, 200, {
    ...envelope(prompt),
    ResultCode: String(prompt.result.code),
    ResultDesc: prompt.result.desc,
  });
}

const envelope = (prompt: Prompt) => ({
  ResponseCode: "0",
  ResponseDescription: ACCEPTED,
  MerchantRequestID: prompt.merchantRequestId,
  CheckoutRequestID: prompt.checkoutRequestId,
});

function answerPending(sim: Sim, ex: Exchange, prompt: Prompt): void {
  if (OUTCOMES[prompt.outcome].pendingQuery === "4999") {
    return sendJson(ex.res, 200, {
      ...envelope(prompt),
      ResultCode: "4999",
      ResultDesc: "The transaction is still under processing",
    });
  }
  // Observed: the classic pending answer echoes the CheckoutRequestID as its requestId.
  sendDarajaError(sim, ex, ERRORS.beingProcessed, prompt.checkoutRequestId);
}

function answerOverride(sim: Sim, ex: Exchange, override: QueryOverride, id: string): void {
  if (override === "spike_arrest") return sendDarajaError(sim, ex, ERRORS.spikeArrest);
  if (override === "quota") return sendDarajaError(sim, ex, ERRORS.quotaViolation);
  // The gateway sometimes answers a rate limit with a bare 429 around the same body
  // (docs/daraja.md#stk-query).
  if (override === "http_429")
    return sendDarajaError(sim, ex, { ...ERRORS.spikeArrest, status: 429 });
  if (override === "not_found") return sendDarajaError(sim, ex, ERRORS.transactionMissing);
  sendDarajaError(sim, ex, ERRORS.beingProcessed, id);
}
