// The self-test: every named scenario against a running app that uses this simulator as its Daraja.
// For each scenario it arms the script for the scenario's phone, asks the app for the payment through
// the app's JSON API (`POST /api/payments` with an API key), then reads the payment back until the
// script has played out, and reports what the app did beside what it should have done. Used by the
// simulator's /selftest page, `npm run simulator -- --self-test`, and the CI run against the build.
// Talks HTTP only (it imports nothing from the app).
import type { Scenario } from "./scenario-format";

export interface SelfTestInput {
  appUrl: string;
  /** An API key of the app (admin: payments and the callback log; support: payments only). */
  apiKey: string;
  simulatorUrl: string;
  scenarios: Scenario[];
  /** Poll interval while waiting for the app. */
  pollMs?: number;
  /** Multiplies every scenario's withinS (a slow machine, a slow poller). */
  patience?: number;
  onResult?: (result: ScenarioResult) => void;
}

export interface Observed {
  status: string | null;
  exceptions: string[];
  receipt: boolean;
  /** What the app's callback log says each callback carried as a phone number (when readable). */
  callbackPhones: string[] | null;
  /** A callback for the payment is stored but not applied yet: what is observed may still change. */
  applying: boolean;
  /** The payment's timeline, oldest first (summaries). */
  timeline: string[];
}

export interface ScenarioResult {
  name: string;
  title: string;
  outcome: "passed" | "failed" | "skipped";
  /** One line a person reads first. */
  summary: string;
  expected: Scenario["expect"];
  observed: Observed | null;
  paymentId: string | null;
  seconds: number;
}

export interface SelfTestReport {
  appUrl: string;
  startedAt: string;
  passed: number;
  failed: number;
  skipped: number;
  results: ScenarioResult[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When the script's last scheduled event has happened (plus a margin for the app to apply it). */
export function scriptEndMs(scenario: Scenario): number {
  const s = scenario.script;
  const times = [s.settleMs, ...s.callbacks.map((c) => c.atMs), ...s.c2b.map((c) => c.atMs)];
  return Math.max(...times) + 1500;
}

function sameSet(a: string[], b: string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Where the observed state differs from the expectation, in words; empty when it matches. */
export function differences(expected: Scenario["expect"], observed: Observed): string[] {
  const out: string[] = [];
  if (observed.status !== expected.status)
    out.push(`status is ${observed.status ?? "missing"}, expected ${expected.status}`);
  if (!sameSet(observed.exceptions, expected.exceptions))
    out.push(
      `open exceptions are [${observed.exceptions.join(", ") || "none"}], expected [${expected.exceptions.join(", ") || "none"}]`,
    );
  if (expected.receipt !== undefined && observed.receipt !== expected.receipt)
    out.push(expected.receipt ? "no receipt recorded" : "a receipt was recorded");
  return out;
}

export async function runSelfTest(input: SelfTestInput): Promise<SelfTestReport> {
  const startedAt = new Date().toISOString();
  const appUrl = input.appUrl.replace(/\/+$/, "");
  const simUrl = input.simulatorUrl.replace(/\/+$/, "");
  const auth = { Authorization: `Bearer ${input.apiKey}` };
  const pollMs = input.pollMs ?? 1000;
  const patience = input.patience ?? 1;

  const state = await fetch(`${simUrl}/__sim/state?summary`).then((r) => r.json());
  const c2bRegistered = (state.c2bRegistrations ?? []).length > 0;
  const runnable = input.scenarios.filter((s) => !s.expect.needsC2b || c2bRegistered);
  const armed = await fetch(`${simUrl}/__sim/scenarios`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ scenarios: runnable }),
  });
  if (!armed.ok) throw new Error(`the simulator refused the scenarios: ${await armed.text()}`);

  const stamp = Date.now().toString(36).toUpperCase().slice(-5);
  const runOne = async (scenario: Scenario, index: number): Promise<ScenarioResult> => {
    const started = Date.now();
    const base = {
      name: scenario.name,
      title: scenario.title,
      expected: scenario.expect,
      paymentId: null as string | null,
    };
    const done = (
      outcome: ScenarioResult["outcome"],
      summary: string,
      observed: Observed | null,
    ): ScenarioResult => {
      const result = {
        ...base,
        outcome,
        summary,
        observed,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
      input.onResult?.(result);
      return result;
    };
    if (scenario.expect.needsC2b && !c2bRegistered)
      return done(
        "skipped",
        "needs the app's C2B URLs registered with this simulator (npm run cli -- c2b:register --apply)",
        null,
      );
    const orderRef = `ST${stamp}${String(index).padStart(2, "0")}`;
    const created = await fetch(`${appUrl}/api/payments`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({
        orderRef,
        amount: scenario.payment.amount,
        phone: scenario.payment.phone,
        description: scenario.name.slice(0, 13),
      }),
    });
    const createdBody = await created.json().catch(() => null);
    const paymentId: string | undefined = createdBody?.payment?.id;
    if (!paymentId)
      return done(
        "failed",
        `the app did not start the payment: HTTP ${created.status} ${JSON.stringify(createdBody)}`,
        null,
      );
    base.paymentId = paymentId;

    const earliest = started + scriptEndMs(scenario);
    const deadline = started + scenario.expect.withinS * 1000 * patience;
    let observed: Observed | null = null;
    for (;;) {
      observed = await observe(appUrl, auth, paymentId);
      const diff = differences(scenario.expect, observed);
      if (diff.length === 0 && !observed.applying && Date.now() >= earliest)
        return done("passed", describe(observed), observed);
      if (Date.now() > deadline)
        return done("failed", diff.join("; ") || "did not settle in time", observed);
      await sleep(pollMs);
    }
  };
  const results = await Promise.all(
    runnable.concat(input.scenarios.filter((s) => !runnable.includes(s))).map(runOne),
  );
  return {
    appUrl,
    startedAt,
    passed: results.filter((r) => r.outcome === "passed").length,
    failed: results.filter((r) => r.outcome === "failed").length,
    skipped: results.filter((r) => r.outcome === "skipped").length,
    results,
  };
}

function describe(o: Observed): string {
  const parts = [`the payment is ${o.status}`];
  parts.push(o.exceptions.length ? `open exceptions: ${o.exceptions.join(", ")}` : "no exception");
  if (o.receipt) parts.push("receipt recorded");
  if (o.callbackPhones?.length) parts.push(`callback phones: ${o.callbackPhones.join(", ")}`);
  return parts.join("; ");
}

async function observe(
  appUrl: string,
  auth: Record<string, string>,
  paymentId: string,
): Promise<Observed> {
  const res = await fetch(`${appUrl}/api/payments/${paymentId}`, { headers: auth });
  const body = await res.json().catch(() => null);
  const p = body?.payment ?? body;
  const exceptions: string[] = (p?.exceptions ?? p?.openExceptions ?? []).map(
    (x: { type: string }) => x.type,
  );
  const timeline: string[] = (p?.timeline ?? p?.events ?? []).map(
    (e: { summary: string }) => e.summary,
  );
  let callbackPhones: string[] | null = null;
  let applying = false;
  const ids: string[] = (p?.attempts ?? [])
    .map((a: { checkoutRequestId?: string | null }) => a.checkoutRequestId)
    .filter(Boolean);
  // By CheckoutRequestID, which the app reads at intake: a callback stored but not yet applied is
  // found too (and the record is not final until it has been applied).
  for (const id of ids) {
    const log = await fetch(`${appUrl}/api/callbacks?checkoutRequestId=${encodeURIComponent(id)}`, {
      headers: auth,
    });
    if (!log.ok) continue;
    const rows =
      (
        (await log.json()) as {
          callbacks?: Array<{ id: number; outcome: string; phoneKind?: string | null }>;
        }
      ).callbacks ?? [];
    applying ||= rows.some((r) => r.outcome === "received");
    callbackPhones = [
      ...(callbackPhones ?? []),
      ...rows.sort((a, b) => a.id - b.id).map((r) => r.phoneKind ?? "none"),
    ];
  }
  return {
    status: p?.status ?? null,
    exceptions,
    receipt: Boolean(p?.receipt),
    callbackPhones,
    applying,
    timeline,
  };
}
