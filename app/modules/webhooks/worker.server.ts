// The delivery loop one process runs (jobs/deliver-webhooks.ts): drains what is due, a batch at a
// time, so a backlog after an outage empties without waiting for the next tick. Claims are settled
// in SQL, so every instance runs it; it never touches the callback path. A batch can be short while
// more is due (one endpoint has only a few places in flight), so only an empty one ends the run.
import type { AppContext } from "../../context.server";
import { deliverDueWebhooks, type DeliveryRun } from "./deliver.server";
import { urlPolicyOf } from "./endpoints.server";

const BATCH = 20;
const MAX_BATCHES_PER_TICK = 50;

export async function runWebhookDeliveries(
  ctx: Pick<AppContext, "db" | "config" | "log" | "now" | "instanceId">,
  options: { signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<DeliveryRun> {
  const total: DeliveryRun = { claimed: 0, delivered: 0, retrying: 0, failed: 0 };
  for (let i = 0; i < MAX_BATCHES_PER_TICK && !options.signal?.aborted; i++) {
    const run = await deliverDueWebhooks(ctx.db, {
      now: ctx.now(),
      clock: ctx.now,
      instanceId: ctx.instanceId,
      limit: BATCH,
      policy: urlPolicyOf(ctx.config),
      fetch: options.fetch,
      log: ctx.log,
    });
    for (const key of Object.keys(total) as (keyof DeliveryRun)[]) total[key] += run[key];
    if (run.claimed === 0) break;
  }
  return total;
}
