// One batch of webhook deliveries for tests: claims the due deliveries and sends them concurrently,
// with the production steps (claimDueDeliveries, deliverClaim). The worker (worker.server.ts) does not
// wait for a whole batch: it claims again as each send ends; tests want a batch they can await.
import type { Db } from "../../db/client";
import {
  claimDueDeliveries,
  deliverClaim,
  type DeliveryOptions,
  type DeliveryRun,
} from "../../app/modules/webhooks/deliver.server";

/** Claims the due deliveries, sends them all, and returns what happened. */
export async function deliverDueWebhooks(
  db: Db,
  options: DeliveryOptions & { limit?: number },
): Promise<DeliveryRun> {
  const began = performance.now();
  const claims = await claimDueDeliveries(db, {
    now: options.now,
    instanceId: options.instanceId,
    limit: options.limit ?? 20,
  });
  const clock =
    options.clock ?? (() => new Date(options.now.getTime() + (performance.now() - began)));
  const outcomes = await Promise.all(
    claims.map((claim) => deliverClaim(db, claim, { ...options, clock })),
  );
  return {
    claimed: claims.length,
    delivered: outcomes.filter((o) => o === "delivered").length,
    retrying: outcomes.filter((o) => o === "retrying").length,
    failed: outcomes.filter((o) => o === "failed").length,
  };
}
