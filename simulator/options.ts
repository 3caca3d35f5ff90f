// What a caller may configure: fixed credentials at construction, and the runtime knobs that the
// control API (`POST /__sim/config`) can change later.
import { randomUUID } from "node:crypto";
import type { ClockSetting } from "./clock";

export interface SimulatorLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
}

export interface SimulatorOptions {
  consumerKey?: string;
  consumerSecret?: string;
  shortcode?: string;
  passkey?: string;
  tillNumber?: string;
  merchantName?: string;
  latencyMs?: number;
  lateDelayMs?: number;
  promptTimeoutMs?: number;
  tokenTtlSeconds?: number;
  hangMs?: number;
  callbackTimeoutMs?: number;
  enforceSubscriberLock?: boolean;
  enforceRuleLimit?: boolean;
  /** Same seed → same tokens, IDs and receipts (given the same clock). */
  seed?: string | number;
  /** Shorthand for a fixed seed when no `seed` is given. */
  deterministic?: boolean;
  logger?: SimulatorLogger;
  fetch?: typeof fetch;
}

export interface Credentials {
  consumerKey: string;
  consumerSecret: string;
  shortcode: string;
  passkey: string;
  tillNumber: string | null;
  merchantName: string;
}

export interface SimConfig {
  latencyMs: number;
  /** null means 5× latencyMs, worked out when the late callback is scheduled. */
  lateDelayMs: number | null;
  promptTimeoutMs: number;
  tokenTtlSeconds: number;
  hangMs: number;
  callbackTimeoutMs: number;
  enforceSubscriberLock: boolean;
  enforceRuleLimit: boolean;
  clock: ClockSetting;
}

/** Safaricom's public sandbox passkey for shortcode 174379 (docs/daraja.md#stk-push-request). */
export const SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";

export const silentLogger: SimulatorLogger = { info() {}, warn() {} };

export function resolveCredentials(o: SimulatorOptions): Credentials {
  return {
    consumerKey: o.consumerKey ?? "sim-consumer-key",
    consumerSecret: o.consumerSecret ?? "sim-consumer-secret",
    shortcode: o.shortcode ?? "174379",
    passkey: o.passkey ?? SANDBOX_PASSKEY,
    tillNumber: o.tillNumber ?? null,
    merchantName: o.merchantName ?? "SIMULATED MERCHANT",
  };
}

export function resolveConfig(o: SimulatorOptions): SimConfig {
  return {
    latencyMs: o.latencyMs ?? 2000,
    lateDelayMs: o.lateDelayMs ?? null,
    promptTimeoutMs: o.promptTimeoutMs ?? 60_000,
    tokenTtlSeconds: o.tokenTtlSeconds ?? 3599,
    hangMs: o.hangMs ?? 60_000,
    callbackTimeoutMs: o.callbackTimeoutMs ?? 10_000,
    enforceSubscriberLock: o.enforceSubscriberLock ?? true,
    enforceRuleLimit: o.enforceRuleLimit ?? true,
    clock: { now: null, offsetMs: 0 },
  };
}

export function resolveSeed(o: SimulatorOptions): string {
  if (o.seed !== undefined) return String(o.seed);
  return o.deterministic ? "daraja-simulator" : randomUUID();
}
