// The virtual handset: what a phone's screen shows, and what its owner can do about a prompt that
// waits for a person (numbers outside the test table). PIN 1234 pays; any other PIN is 2001.
import type { Sim } from "./context";
import { OUTCOMES, RESULTS, type StkResult } from "./outcomes";
import { settleOnce } from "./prompts";
import type { Prompt } from "./state";

export const HANDSET_PIN = "1234";

export type HandsetAction = "pay" | "cancel" | "timeout";

/** 07…, 01…, +254… and 254… all name the same handset. */
export function normalisePhone(raw: string): string | null {
  const digits = raw.replace(/[\s+]/g, "");
  const local =
    /^0([17]\d{8})$/.exec(digits)?.[1] ??
    /^254([17]\d{8})$/.exec(digits)?.[1] ??
    /^([17]\d{8})$/.exec(digits)?.[1];
  return local ? `254${local}` : null;
}

function latestPrompt(sim: Sim, phone: string): Prompt | null {
  const list = sim.state.promptsByPhone.get(phone) ?? [];
  return list[list.length - 1] ?? null;
}

export function waitingPrompt(sim: Sim, phone: string): Prompt | null {
  const prompt = latestPrompt(sim, phone);
  const waits =
    prompt && prompt.status === "pending" && OUTCOMES[prompt.outcome].settles === "on_handset";
  return waits ? prompt : null;
}

export const formatKes = (amount: number): string =>
  String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

export function handsetView(sim: Sim, phone: string) {
  const waiting = waitingPrompt(sim, phone);
  const last = latestPrompt(sim, phone);
  return {
    phone,
    merchant: sim.creds.merchantName,
    prompt: waiting && {
      checkoutRequestId: waiting.checkoutRequestId,
      amount: waiting.amount,
      accountReference: waiting.accountReference,
      message: `Pay KES ${formatKes(waiting.amount)} to ${sim.creds.merchantName} account ${waiting.accountReference}? Enter M-PESA PIN`,
      secondsLeft:
        waiting.handsetDeadline === null
          ? null
          : Math.max(0, Math.ceil((waiting.handsetDeadline - Date.now()) / 1000)),
    },
    last: last && {
      checkoutRequestId: last.checkoutRequestId,
      amount: last.amount,
      status: last.status,
      resultCode: last.result?.code ?? null,
      resultDesc: last.result?.desc ?? null,
      receipt: last.receipt,
    },
  };
}

/** Settles the waiting prompt; null when nothing on this handset is waiting for a person. */
export function actOnHandset(
  sim: Sim,
  phone: string,
  action: HandsetAction,
  pin?: string,
): Prompt | null {
  const prompt = waitingPrompt(sim, phone);
  if (!prompt) return null;
  const results: Record<HandsetAction, StkResult> = {
    pay: pin === HANDSET_PIN ? RESULTS.paid : RESULTS.wrongPin,
    cancel: RESULTS.cancelled,
    timeout: RESULTS.noResponse,
  };
  settleOnce(sim, prompt, results[action]);
  return prompt;
}
