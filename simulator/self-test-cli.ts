// The self-test from the command line (`npm run simulator -- --self-test …`) and its plain-text report.
import type { Scenario } from "./scenario-format";
import { runSelfTest, type SelfTestReport } from "./self-test";

export async function selfTestFromCli(input: {
  app?: string;
  "api-key"?: string;
  simulator?: string;
  only?: string;
  scenarios?: Scenario[];
  extra?: Scenario[];
}): Promise<SelfTestReport> {
  if (!input.app || !input["api-key"] || !input.simulator)
    throw new Error("--self-test needs --app URL and --api-key KEY (and --simulator URL)");
  let scenarios = input.scenarios;
  if (!scenarios) {
    const res = await fetch(`${input.simulator.replace(/\/+$/, "")}/__sim/scenarios`);
    if (!res.ok) throw new Error(`the simulator has no scenario library: ${await res.text()}`);
    scenarios = ((await res.json()) as { scenarios: Scenario[] }).scenarios;
  }
  scenarios = [...scenarios, ...(input.extra ?? [])];
  const only = input.only?.split(",").map((s) => s.trim());
  if (only) scenarios = scenarios.filter((s) => only.includes(s.name));
  return runSelfTest({
    appUrl: input.app,
    apiKey: input["api-key"],
    simulatorUrl: input.simulator,
    scenarios,
    onResult: (r) => console.log(`${r.outcome.padEnd(7)} ${r.name} (${r.seconds} s)`),
  });
}

export function formatReport(report: SelfTestReport): string {
  const lines = [
    `Self-test of ${report.appUrl}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`,
    "",
  ];
  for (const r of report.results) {
    lines.push(`${r.outcome.toUpperCase()}  ${r.name} — ${r.title}`);
    lines.push(
      `        expected: ${r.expected.status}${r.expected.exceptions.length ? ` with ${r.expected.exceptions.join(", ")}` : ""}`,
    );
    lines.push(`        the app:  ${r.summary}`);
  }
  return lines.join("\n");
}
