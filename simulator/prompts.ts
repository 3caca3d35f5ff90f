// The life of one STK prompt: opened by a push (or in bulk), settled by its outcome's schedule or
// by the virtual handset, and announced by callbacks. The only code that interprets OUTCOMES.
import {
  callbackStyle,
  sendStkCallbacks,
  stkCallbackBody,
  type StkCallbackBody,
} from "./callbacks";
import type { Sim } from "./context";
import { makeCheckoutRequestId, makeMerchantRequestId, makeReceipt } from "./ids";
import { OUTCOMES, RESULTS, type OutcomeName, type StkResult } from "./outcomes";
import type { Prompt } from "./state";

export interface PromptInput {
  phone: string;
  amount: number;
  accountReference: string;
  transactionDesc: string;
  transactionType: string;
  callbackUrl: string | null;
  outcome: OutcomeName;
  source: Prompt["source"];
}

export function openPrompt(sim: Sim, input: PromptInput): Prompt {
  const createdAt = sim.now();
  const prompt: Prompt = {
    ...input,
    checkoutRequestId: uniqueCheckoutRequestId(sim, createdAt, input.phone),
    merchantRequestId: makeMerchantRequestId(sim.rng),
    paidAmount: null,
    status: "pending",
    result: null,
    receipt: null,
    createdAt,
    resolvedAt: null,
    handsetDeadline: null,
    callbacksSent: 0,
    callbacksDropped: 0,
    script: null,
    scriptedQueries: [],
  };
  sim.state.prompts.set(prompt.checkoutRequestId, prompt);
  if (input.source === "push") {
    const list = sim.state.promptsByPhone.get(input.phone) ?? [];
    list.push(prompt);
    sim.state.promptsByPhone.set(input.phone, list);
  }
  return prompt;
}

/** A frozen test clock would repeat the millisecond, so step forward until the ID is free. */
function uniqueCheckoutRequestId(sim: Sim, at: number, phone: string): string {
  let id = makeCheckoutRequestId(at, phone);
  for (let step = 1; sim.state.prompts.has(id); step++)
    id = makeCheckoutRequestId(at + step, phone);
  return id;
}

/** Arms the timers that will settle a pushed prompt according to its outcome. */
export function schedulePrompt(sim: Sim, prompt: Prompt): void {
  const spec = OUTCOMES[prompt.outcome];
  const { latencyMs, promptTimeoutMs } = sim.config;
  if (spec.settles === "after_latency") {
    sim.timers.after(latencyMs, () => settleByOutcome(sim, prompt));
  } else if (spec.settles === "after_prompt_timeout") {
    sim.timers.after(promptTimeoutMs, () =>
      settleOnce(sim, prompt, spec.result ?? RESULTS.noResponse),
    );
  } else if (spec.settles === "on_handset") {
    prompt.handsetDeadline = Date.now() + promptTimeoutMs;
    sim.timers.after(promptTimeoutMs, () => settleOnce(sim, prompt, RESULTS.noResponse));
  }
}

function settleByOutcome(sim: Sim, prompt: Prompt): void {
  const spec = OUTCOMES[prompt.outcome];
  if (prompt.status !== "pending" || spec.result === null) return;
  if (spec.callbacks === "failure_then_late_success") {
    settleOnce(sim, prompt, RESULTS.unreachable);
    // The reply that "came back too late" (docs/daraja.md#result-codes, 1037): the payment happened
    // after all.
    const lateDelay = sim.config.lateDelayMs ?? sim.config.latencyMs * 5;
    sim.timers.after(lateDelay, () => {
      recordResult(sim, prompt, RESULTS.paid);
      void sendStkCallbacks(sim, prompt, [
        stkCallbackBody(prompt, RESULTS.paid, callbackStyle(sim, prompt)),
      ]);
    });
    return;
  }
  recordResult(sim, prompt, spec.result);
  const style = callbackStyle(sim, prompt);
  const body = stkCallbackBody(prompt, spec.result, style);
  const plans: Record<typeof spec.callbacks, StkCallbackBody[]> = {
    once: [body],
    none: [],
    twice: [body, body],
    then_conflict: [body, stkCallbackBody(prompt, RESULTS.cancelled, style)],
  };
  void sendStkCallbacks(sim, prompt, plans[spec.callbacks]);
}

/** Settles a still-pending prompt with one result and one callback (handset, timeouts). */
export function settleOnce(sim: Sim, prompt: Prompt, result: StkResult): boolean {
  if (prompt.status !== "pending") return false;
  recordResult(sim, prompt, result);
  void sendStkCallbacks(sim, prompt, [stkCallbackBody(prompt, result, callbackStyle(sim, prompt))]);
  return true;
}

/** Writes the result onto the prompt; a success gets its receipt and the amount actually paid. */
export function recordResult(sim: Sim, prompt: Prompt, result: StkResult): void {
  prompt.result = result;
  prompt.status = result.code === 0 ? "paid" : "failed";
  prompt.resolvedAt = sim.now();
  prompt.handsetDeadline = null;
  if (result.code !== 0) return;
  prompt.receipt ??= uniqueReceipt(sim, prompt.resolvedAt);
  const short = OUTCOMES[prompt.outcome].paysShort === true;
  prompt.paidAmount = short ? (prompt.amount === 1 ? 2 : prompt.amount - 1) : prompt.amount;
}

export function uniqueReceipt(sim: Sim, at: number): string {
  let receipt = makeReceipt(sim.rng, at);
  while (sim.state.receipts.has(receipt)) receipt = makeReceipt(sim.rng, at);
  sim.state.receipts.add(receipt);
  return receipt;
}
