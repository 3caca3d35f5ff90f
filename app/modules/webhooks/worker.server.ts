// The delivery loop one process runs (jobs/deliver-webhooks.ts): keeps up to IN_FLIGHT sends going
// and claims more as they end, so a backlog after an outage empties without waiting for the next
// tick, and a receiver that makes each send wait out the timeout holds only its own places
// (MAX_IN_FLIGHT_PER_ENDPOINT), not a batch of other endpoints' deliveries waiting for it to end.
// Claims are settled in SQL, so every instance runs it; it never touches the callback path.
import type { AppContext } from "../../context.server";
import { claimDueDeliveries, deliverClaim, type DeliveryRun } from "./deliver.server";
import { urlPolicyOf } from "./endpoints.server";

const IN_FLIGHT = 20;
// A claim is a statement: after a few sends have ended, or a moment after the first one did (a claim
// per ended send would cost one each when one endpoint's five places are all that is moving).
const CLAIM_AFTER_ENDED = 5;
const CLAIM_AFTER_MS = 50;
const MAX_SENDS_PER_RUN = 1_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runWebhookDeliveries(
  ctx: Pick<AppContext, "db" | "config" | "log" | "now" | "instanceId">,
  options: { signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<DeliveryRun> {
  const total: DeliveryRun = { claimed: 0, delivered: 0, retrying: 0, failed: 0 };
  const policy = urlPolicyOf(ctx.config);
  const sending = new Set<Promise<void>>();
  let failure: unknown = null;
  let ended = 0;
  let claimedAt = 0;
  for (;;) {
    const room = IN_FLIGHT - sending.size;
    const claiming =
      failure === null &&
      !options.signal?.aborted &&
      total.claimed < MAX_SENDS_PER_RUN &&
      room > 0 &&
      (sending.size === 0 ||
        ended >= CLAIM_AFTER_ENDED ||
        (ended > 0 && performance.now() - claimedAt >= CLAIM_AFTER_MS));
    if (claiming) {
      [ended, claimedAt] = [0, performance.now()];
      const now = ctx.now();
      const claims = await claimDueDeliveries(ctx.db, {
        now,
        instanceId: ctx.instanceId,
        limit: Math.min(room, MAX_SENDS_PER_RUN - total.claimed),
      });
      total.claimed += claims.length;
      for (const claim of claims) {
        const send: Promise<void> = deliverClaim(ctx.db, claim, {
          now,
          clock: ctx.now,
          instanceId: ctx.instanceId,
          policy,
          fetch: options.fetch,
          log: ctx.log,
        })
          .then(
            (outcome) => {
              if (outcome !== "lost") total[outcome] += 1;
            },
            (error: unknown) => {
              failure ??= error;
            },
          )
          .finally(() => {
            sending.delete(send);
            ended += 1;
          });
        sending.add(send);
      }
    }
    // Nothing due and nothing in flight; or no more claims (stopping, a failure, the run's share
    // taken) and the last send has ended. Otherwise the next send to end, or the moment to claim for
    // the places already free: each one frees a place its endpoint may have more due for.
    if (sending.size === 0) break;
    const wait = ended > 0 ? CLAIM_AFTER_MS - (performance.now() - claimedAt) : Infinity;
    await Promise.race([...sending, ...(wait < Infinity ? [sleep(Math.max(wait, 0))] : [])]);
  }
  if (failure !== null) throw failure;
  return total;
}
