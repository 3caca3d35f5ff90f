// The JSON picture of the simulator that GET /__sim/state returns (and `snapshot()` in-process).
import type { Sim } from "./context";
import { liveTokenCount } from "./oauth";
import type { Prompt } from "./state";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function promptView(p: Prompt) {
  return {
    checkoutRequestId: p.checkoutRequestId,
    merchantRequestId: p.merchantRequestId,
    phone: p.phone,
    amount: p.amount,
    paidAmount: p.paidAmount,
    accountReference: p.accountReference,
    transactionDesc: p.transactionDesc,
    outcome: p.outcome,
    source: p.source,
    status: p.status,
    resultCode: p.result?.code ?? null,
    resultDesc: p.result?.desc ?? null,
    receipt: p.receipt,
    callbackUrl: p.callbackUrl,
    callbacksSent: p.callbacksSent,
    callbacksDropped: p.callbacksDropped,
    createdAt: iso(p.createdAt),
    resolvedAt: iso(p.resolvedAt),
  };
}

/** `summary` leaves out the per-prompt lists, for benchmarks with thousands of transactions. */
export function snapshot(sim: Sim, { summary = false } = {}) {
  const s = sim.state;
  const stkDeliveries = s.deliveries.filter((d) => d.kind === "stk_callback");
  return {
    now: new Date(sim.now()).toISOString(),
    config: sim.config,
    counts: {
      ...s.counts,
      liveTokens: liveTokenCount(sim),
      prompts: s.prompts.size,
      pendingPrompts: [...s.prompts.values()].filter((p) => p.status === "pending").length,
      callbacksSent: stkDeliveries.length,
      callbacksDelivered: stkDeliveries.filter(
        (d) => d.status !== null && d.status >= 200 && d.status < 300,
      ).length,
    },
    queriesByCheckoutRequestId: Object.fromEntries(s.queriesByCheckoutRequestId),
    next: s.next,
    c2bRegistrations: [...s.registrations.values()],
    prompts: summary ? undefined : [...s.prompts.values()].map(promptView),
    deliveries: summary ? undefined : s.deliveries,
  };
}

export type SimSnapshot = ReturnType<typeof snapshot>;
