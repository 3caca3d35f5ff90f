// M-Pesa Express push (docs/daraja.md#stk-push): validate like Daraja, apply the subscriber guards,
// open a prompt whose behaviour the test number (or a forced next outcome) decides, and answer as
// docs/daraja.md#stk-push-response.
import type { Exchange, Sim } from "./context";
import { ERRORS, sendDarajaError } from "./daraja-errors";
import { readDarajaBody } from "./daraja-request";
import { sendJson } from "./http-io";
import { OUTCOMES, outcomeForPhone, type OutcomeName } from "./outcomes";
import { openPrompt, schedulePrompt } from "./prompts";
import { isRuleLimited, isSubscriberLocked } from "./rules";
import { sendGatewayHtml } from "./gateway";
import { runScript } from "./script";
import type { Prompt } from "./state";
import { validateStkPush, type Merchant, type ValidPush } from "./validation";

const ACCEPTED = "Success. Request accepted for processing";

export const merchantOf = (sim: Sim): Merchant => ({
  shortcode: sim.creds.shortcode,
  passkey: sim.creds.passkey,
  tillNumber: sim.creds.tillNumber,
});

export function handleStkPush(sim: Sim, ex: Exchange): void {
  sim.state.counts.pushes++;
  const body = readDarajaBody(sim, ex);
  if (!body) return;
  const checked = validateStkPush(body, merchantOf(sim), sim.now());
  if (!checked.ok) return sendDarajaError(sim, ex, checked.error);
  const push = checked.value;

  // A scenario script waiting for this phone decides everything about this push (script.ts).
  const script = sim.state.scripts.get(push.phone);
  if (script) {
    sim.state.scripts.delete(push.phone);
    if (script.push === "busy") return sendDarajaError(sim, ex, ERRORS.systemBusy);
    if (script.push === "html_200_no_prompt") return sendGatewayHtml(ex.res);
    const prompt = openPrompt(sim, { ...push, outcome: "scripted", source: "push" });
    runScript(sim, prompt, script);
    sim.state.counts.pushesAccepted++;
    if (ex.entry) ex.entry.checkoutRequestId = prompt.checkoutRequestId;
    if (script.push === "html_200") return sendGatewayHtml(ex.res);
    return sendAccepted(ex, prompt);
  }
  const forcedPush = sim.state.next.pushes.shift();
  if (forcedPush && !forcedPush.prompt) return sendGatewayHtml(ex.res);

  const forced = sim.state.next.outcomes[0];
  if (OUTCOMES[forced ?? outcomeForPhone(push.phone)].push === "busy") {
    if (forced) sim.state.next.outcomes.shift();
    return sendDarajaError(sim, ex, ERRORS.systemBusy);
  }
  if (sim.config.enforceSubscriberLock && isSubscriberLocked(sim, push.phone)) {
    return sendDarajaError(sim, ex, ERRORS.subscriberLocked);
  }
  const outcome = chooseOutcome(sim, push);
  const prompt = openPrompt(sim, { ...push, outcome, source: "push" });
  schedulePrompt(sim, prompt);
  sim.state.counts.pushesAccepted++;
  if (ex.entry) ex.entry.checkoutRequestId = prompt.checkoutRequestId;

  if (OUTCOMES[outcome].push === "hang") {
    // Accepted upstream, response lost on the way back (docs/daraja.md#daraja-errors notes): the
    // client must time out.
    sim.timers.after(sim.config.hangMs, () => ex.req.socket.destroy());
    return;
  }
  // HTTP 200 with the gateway's HTML page although M-Pesa took the request: the prompt still runs.
  if (forcedPush) return sendGatewayHtml(ex.res);
  sendAccepted(ex, prompt);
}

function sendAccepted(ex: Exchange, prompt: Prompt): void {
  sendJson(ex.res, 200, {
    MerchantRequestID: prompt.merchantRequestId,
    CheckoutRequestID: prompt.checkoutRequestId,
    ResponseCode: "0",
    ResponseDescription: ACCEPTED,
    CustomerMessage: ACCEPTED,
  });
}

/** A forced outcome wins; then a till/paybill mix-up (2028); then the rule limit; then the table. */
function chooseOutcome(sim: Sim, push: ValidPush): OutcomeName {
  const forced = sim.state.next.outcomes.shift();
  if (forced) return forced;
  if (!push.productMatches) return "product_mismatch";
  if (sim.config.enforceRuleLimit && isRuleLimited(sim, push.phone, push.amount))
    return "rule_limited";
  return outcomeForPhone(push.phone);
}
