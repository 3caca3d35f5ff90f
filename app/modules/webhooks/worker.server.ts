// The delivery loop one process runs (jobs/deliver-webhooks.ts): keeps up to IN_FLIGHT sends going
// and claims more as they end, so a backlog after an outage empties without waiting for the next
// tick, and a receiver that makes each send wait out the timeout holds only its own places
// (MAX_IN_FLIGHT_PER_ENDPOINT), not a batch of other endpoints' deliveries waiting for it to end.
// Claims are settled in SQL, so every instance runs it; it never touches the callback path.
import type { AppContext } from "../../context.server";
import { within } from "../../lib/within";
import { claimDueDeliveries, deliverClaim, type DeliveryRun } from "./deliver.server";
import { urlPolicyOf } from "./endpoints.server";

const IN_FLIGHT = 20;
// A claim is a statement: one is made once a few sends have ended, or once one has and 50 ms have
// passed since the last claim (a claim per ended send would cost one each when one endpoint's five
// places are all that is moving); and while places are free but every send in flight is slow (a
// receiver that is down), once a second, the job's own tick, for what came due meanwhile.
const CLAIM_AFTER_ENDED = 5;
const CLAIM_AFTER_MS = 50;
const CLAIM_EVERY_MS = 1_000;

/**
 * Sends what is due until nothing is, or until stopped (the signal) or failed: a claim or a send
 * that throws stops the claiming; the sends in flight are waited for, then the first error thrown.
 */
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
  const claiming = () => failure === null && !options.signal?.aborted;
  const sinceClaim = () => performance.now() - claimedAt;
  for (;;) {
    const room = IN_FLIGHT - sending.size;
    if (
      claiming() &&
      room > 0 &&
      (sending.size === 0 ||
        ended >= CLAIM_AFTER_ENDED ||
        (ended > 0 && sinceClaim() >= CLAIM_AFTER_MS) ||
        sinceClaim() >= CLAIM_EVERY_MS)
    ) {
      [ended, claimedAt] = [0, performance.now()];
      const now = ctx.now();
      const claims = await claimDueDeliveries(ctx.db, {
        now,
        instanceId: ctx.instanceId,
        limit: room,
      }).catch((error: unknown) => {
        failure ??= error;
        return [];
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
    // Nothing due and nothing in flight; or claiming has stopped and the last send has ended.
    if (sending.size === 0) break;
    // Otherwise the next send to end, or, while claiming and with places free, the next claim's time.
    const wake =
      claiming() && sending.size < IN_FLIGHT
        ? Math.max(0, (ended > 0 ? CLAIM_AFTER_MS : CLAIM_EVERY_MS) - sinceClaim())
        : null;
    const nextEnd = Promise.race(sending);
    await (wake === null ? nextEnd : within(nextEnd, wake, () => undefined));
  }
  if (failure !== null) throw failure;
  return total;
}
