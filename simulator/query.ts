// STK Query (docs/daraja.md#stk-query). Pending has two wire forms: the classic HTTP 500 "being
// processed" and the 2026 HTTP 200 ResultCode "4999". A final answer carries ResultCode as a STRING
// and keeps Daraja's "successsfully" typo, because clients are parsed against the real thing.
import type { Exchange, Sim } from "./context";
import { ERRORS, invalidField, sendDarajaError } from "./daraja-errors";
import { sendGatewayHtml, sendSpikeArrest, spendQueryBudget } from "./gateway";
import { settleScripted } from "./script";
import { readDarajaBody } from "./daraja-request";
import { sendJson } from "./http-io";
import { OUTCOMES } from "./outcomes";
import type { Prompt, QueryOverride } from "./state";
import { merchantOf } from "./stk";
import { validateStkQuery } from "./validation";

const ACCEPTED = "The service request has been accepted successsfully";

export function handleStkQuery(sim: Sim, ex: Exchange): void {
  // The gateway's SpikeArrest counts every query before Daraja sees it.
  const retryAfterS = spendQueryBudget(sim);
  if (retryAfterS !== null && sim.config.queryBudget)
    return sendSpikeArrest(ex.res, sim.config.queryBudget, retryAfterS);
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
  const scripted = prompt.scriptedQueries.shift();
  if (scripted) return answerScripted(sim, ex, prompt, scripted);
  // 2026 sandbox: asked too early, Daraja does not know the ID yet (400), then says 4999.
  if (sim.config.earlyQueryMs > 0 && sim.now() - prompt.createdAt < sim.config.earlyQueryMs)
    return sendDarajaError(sim, ex, invalidField("CheckoutRequestID"));
  if (prompt.status === "pending" || prompt.result === null) return answerPending(sim, ex, prompt);
  answerFinal(ex, prompt);
}

function answerFinal(ex: Exchange, prompt: Prompt): void {
  if (!prompt.result) return;
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

const send4999 = (ex: Exchange, prompt: Prompt) =>
  sendJson(ex.res, 200, {
    ...envelope(prompt),
    ResultCode: "4999",
    ResultDesc: "The transaction is still under processing",
  });

function answerPending(sim: Sim, ex: Exchange, prompt: Prompt): void {
  if (OUTCOMES[prompt.outcome].pendingQuery === "4999" || sim.config.earlyQueryMs > 0)
    return send4999(ex, prompt);
  // Observed: the classic pending answer echoes the CheckoutRequestID as its requestId.
  sendDarajaError(sim, ex, ERRORS.beingProcessed, prompt.checkoutRequestId);
}

function answerScripted(sim: Sim, ex: Exchange, prompt: Prompt, answer: string): void {
  if (answer === "final") {
    settleScripted(sim, prompt);
    if (prompt.result) return answerFinal(ex, prompt);
    return sendDarajaError(sim, ex, ERRORS.beingProcessed, prompt.checkoutRequestId);
  }
  if (answer === "4999") return send4999(ex, prompt);
  const override: Record<string, QueryOverride> = {
    being_processed: "pending",
    invalid_checkout_request: "invalid_checkout_request",
    not_found: "not_found",
    spike_arrest: "spike_arrest",
    http_429: "http_429",
    html_200: "html_200",
  };
  answerOverride(sim, ex, override[answer], prompt.checkoutRequestId, prompt);
}

function answerOverride(
  sim: Sim,
  ex: Exchange,
  override: QueryOverride,
  id: string,
  prompt?: Prompt,
): void {
  if (override === "invalid_checkout_request")
    return sendDarajaError(sim, ex, invalidField("CheckoutRequestID"));
  if (override === "html_200") return sendGatewayHtml(ex.res);
  if (override === "pending_4999") {
    const known = prompt ?? sim.state.prompts.get(id);
    if (known) return send4999(ex, known);
  }
  if (override === "spike_arrest") return sendDarajaError(sim, ex, ERRORS.spikeArrest);
  if (override === "quota") return sendDarajaError(sim, ex, ERRORS.quotaViolation);
  // The gateway sometimes answers a rate limit with a bare 429 around the same body
  // (docs/daraja.md#stk-query).
  if (override === "http_429")
    return sendDarajaError(sim, ex, { ...ERRORS.spikeArrest, status: 429 });
  if (override === "not_found") return sendDarajaError(sim, ex, ERRORS.transactionMissing);
  sendDarajaError(sim, ex, ERRORS.beingProcessed, id);
}
