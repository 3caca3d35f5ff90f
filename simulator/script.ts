// Replays a scenario script (scenario-format.ts) on the prompt a push opened: the truth settles at
// settleMs, callbacks go out one after another at their times with their own shapes, queries are
// answered from the script's list, and C2B confirmations follow. Timers and order are fixed, so a
// replay is deterministic apart from the IDs' clock (freeze it for byte-identical bodies).
import { deliver, stkCallbackBody } from "./callbacks";
import { sendC2bConfirmation } from "./c2b";
import type { Sim } from "./context";
import { DOCUMENTED_SHAPE } from "./options";
import { RESULTS, type StkResult } from "./outcomes";
import { recordResult, uniqueReceipt } from "./prompts";
import type { ScenarioScript, ScriptedCallback } from "./scenario-format";
import type { Prompt } from "./state";

const NAMED: Record<string, StkResult> = {
  paid: RESULTS.paid,
  cancelled: RESULTS.cancelled,
  unreachable: RESULTS.unreachable,
  no_response: RESULTS.noResponse,
  insufficient_funds: RESULTS.insufficientFunds,
  wrong_pin: RESULTS.wrongPin,
};

type Ref = ScenarioScript["result"] | ScriptedCallback["result"];

export function resolveResult(script: ScenarioScript, ref: Ref): StkResult | null {
  if (ref === null) return null;
  if (ref === "final") return resolveResult(script, script.result);
  return typeof ref === "string" ? NAMED[ref] : ref;
}

/** Records the script's truth on the prompt (once). */
export function settleScripted(sim: Sim, prompt: Prompt): void {
  const script = prompt.script;
  if (!script || prompt.result !== null) return;
  const truth = resolveResult(script, script.result);
  if (!truth) return;
  recordResult(sim, prompt, truth);
  if (truth.code === 0 && script.amountPaid !== undefined) prompt.paidAmount = script.amountPaid;
}

/** Arms the script's timers for a prompt that was just opened by a push. */
export function runScript(sim: Sim, prompt: Prompt, script: ScenarioScript): void {
  prompt.script = script;
  prompt.scriptedQueries = [...script.queries];
  const startedAt = Date.now();
  if (script.result !== null) sim.timers.after(script.settleMs, () => settleScripted(sim, prompt));

  // Callbacks in the listed order, each no earlier than its atMs and never before the previous one.
  const sendAll = async (index: number): Promise<void> => {
    const cb = script.callbacks[index];
    if (!cb) return;
    const wait = Math.max(0, startedAt + cb.atMs - Date.now());
    sim.timers.after(wait, () => void sendOne(cb).then(() => sendAll(index + 1)));
  };
  const sendOne = async (cb: ScriptedCallback) => {
    const result = resolveResult(script, cb.result);
    if (!result || prompt.callbackUrl === null) return;
    if (cb.result === "final") settleScripted(sim, prompt);
    if (cb.lost) {
      prompt.callbacksDropped++;
      return;
    }
    // A success callback carries a receipt and a time even when the truth says otherwise (a forged
    // or contradicted success); the prompt's own status is left to the truth.
    if (result.code === 0 && prompt.receipt === null) {
      prompt.receipt = uniqueReceipt(sim, sim.now());
      prompt.resolvedAt ??= sim.now();
    }
    const body = stkCallbackBody(prompt, result, {
      shape: {
        amount: cb.amount ?? DOCUMENTED_SHAPE.amount,
        transactionDate: cb.transactionDate ?? DOCUMENTED_SHAPE.transactionDate,
        phone: DOCUMENTED_SHAPE.phone,
        itemOrder: cb.itemOrder ?? DOCUMENTED_SHAPE.itemOrder,
      },
      phoneForm: cb.phone ?? "full",
      amountDelta: cb.amountDelta,
    });
    for (let i = 0; i < cb.copies; i++) {
      await deliver(sim, {
        kind: "stk_callback",
        checkoutRequestId: prompt.checkoutRequestId,
        url: prompt.callbackUrl,
        body,
      });
      prompt.callbacksSent++;
    }
  };
  void sendAll(0);

  for (const c2b of script.c2b) {
    sim.timers.after(c2b.atMs, () => {
      void sendC2bConfirmation(sim, {
        amount: c2b.amount ?? prompt.paidAmount ?? prompt.amount,
        billRefNumber: c2b.billRefNumber ?? prompt.accountReference,
        msisdn: prompt.phone,
        msisdnFormat: c2b.msisdn,
        transId: prompt.receipt ?? undefined,
      });
    });
  }
}
