// Shown when payments wait on M-Pesa but no callback has arrived for ten minutes: callbacks may be
// failing before they reach us (firewall, TLS, a changed URL). Data from getCallbackHealth(ctx).
import { EatTime } from "./format";

export type CallbackHealthView = {
  healthy: boolean;
  stalledPending: number;
  lastCallbackAt: string | null;
  silentMinutes: number | null;
};

export function CallbackHealthBanner({
  health,
}: {
  health: CallbackHealthView | null | undefined;
}) {
  if (!health || health.healthy) return null;
  return (
    <div className="banner-warn" role="status" data-testid="callback-health-banner">
      <strong>
        No M-Pesa callbacks{" "}
        {health.lastCallbackAt ? `for ${health.silentMinutes} minutes` : "received yet"}
      </strong>{" "}
      while {health.stalledPending} payment{health.stalledPending === 1 ? " has" : "s have"} been
      pending for more than 10 minutes. Callbacks may be failing before they reach us: check the
      callback URL registered with Safaricom, TLS and firewall rules.
      {health.lastCallbackAt ? (
        <>
          {" "}
          Last callback: <EatTime at={health.lastCallbackAt} />.
        </>
      ) : null}
    </div>
  );
}
