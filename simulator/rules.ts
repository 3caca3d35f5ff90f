// Daraja's two per-subscriber guards (docs/daraja.md#one-prompt-at-a-time): one live prompt per
// phone, and the same amount to the same phone within two minutes of a payment is "Rule limited."
// (ResultCode 17).
import type { Sim } from "./context";

const RULE_LIMIT_WINDOW_MS = 2 * 60 * 1000;

/**
 * Locked while a prompt is pending and its handset could still be showing it. A prompt that never
 * resolves releases the lock after promptTimeoutMs, as the real prompt would leave the screen.
 */
export function isSubscriberLocked(sim: Sim, phone: string): boolean {
  const now = sim.now();
  return (sim.state.promptsByPhone.get(phone) ?? []).some(
    (p) => p.status === "pending" && now - p.createdAt < sim.config.promptTimeoutMs,
  );
}

/** Only a completed payment counts: retrying after a cancel or timeout is what customers do. */
export function isRuleLimited(sim: Sim, phone: string, amount: number): boolean {
  const now = sim.now();
  return (sim.state.promptsByPhone.get(phone) ?? []).some(
    (p) =>
      p.status === "paid" &&
      p.amount === amount &&
      p.resolvedAt !== null &&
      now - p.resolvedAt < RULE_LIMIT_WINDOW_MS,
  );
}
