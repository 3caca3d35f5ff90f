// Bulk transactions for poller tests and benchmarks: N prompts that are already accepted, never
// call back, and answer STK Query with their outcome's final result (optionally after pendingMs).
import type { Sim } from "./context";
import { OUTCOMES, TEST_PHONE, type OutcomeName } from "./outcomes";
import { openPrompt, recordResult } from "./prompts";
import type { Prompt } from "./state";

export interface BulkInput {
  count: number;
  outcome: OutcomeName;
  amount?: number;
  phone?: string;
  pendingMs?: number;
}

export function createBulkTransactions(sim: Sim, input: BulkInput): Prompt[] {
  const spec = OUTCOMES[input.outcome];
  const phone =
    input.phone ??
    (TEST_PHONE as Partial<Record<OutcomeName, string>>)[input.outcome] ??
    TEST_PHONE.paid;
  const prompts: Prompt[] = [];
  for (let i = 0; i < input.count; i++) {
    prompts.push(
      openPrompt(sim, {
        phone,
        amount: input.amount ?? 1,
        accountReference: `BULK${i + 1}`,
        transactionDesc: "Bulk",
        transactionType: "CustomerPayBillOnline",
        callbackUrl: null,
        outcome: input.outcome,
        source: "bulk",
      }),
    );
  }
  // Outcomes without a result (never, handset) stay pending for good, like their test numbers.
  const result = spec.result;
  if (result !== null) {
    const settle = () =>
      prompts.forEach((p) => p.status === "pending" && recordResult(sim, p, result));
    if (input.pendingMs) sim.timers.after(input.pendingMs, settle);
    else settle();
  }
  return prompts;
}
