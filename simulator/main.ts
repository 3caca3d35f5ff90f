// Standalone simulator: `npm run simulator [-- options]`. SIMULATOR_PORT (default 4010),
// SIMULATOR_HOST (default 127.0.0.1), SIMULATOR_LATENCY_MS and SIMULATOR_SEED tune it.
//
//   --scenario FILE      arm a scenario file (repeatable): the next push from its phone replays it
//   --scenarios DIR      the folder of named scenarios (default simulator/scenarios)
//   --port N             overrides SIMULATOR_PORT (0 = any free port)
//   --self-test --app URL --api-key KEY [--only NAME,…]
//                        run every named scenario against a running app that uses this simulator
//                        (or the one at --simulator URL) as its Daraja, print a report, exit 0/1
import { parseArgs } from "node:util";
import { resolveCredentials } from "./options";
import { readScenarioDir, readScenarioFile } from "./scenario-library";
import { formatReport, selfTestFromCli } from "./self-test-cli";
import { createSimulator } from "./server";

const env = process.env;
const { values } = parseArgs({
  options: {
    scenario: { type: "string", multiple: true },
    scenarios: { type: "string" },
    port: { type: "string" },
    "self-test": { type: "boolean" },
    app: { type: "string" },
    "api-key": { type: "string" },
    simulator: { type: "string" },
    only: { type: "string" },
  },
});

const armed = await Promise.all((values.scenario ?? []).map((file) => readScenarioFile(file)));

if (values["self-test"] && values.simulator) {
  // Against a simulator that is already running (e.g. inside the app's server): no new one here.
  const scenarios = values.scenarios ? await readScenarioDir(values.scenarios) : undefined;
  const report = await selfTestFromCli({ ...values, scenarios, extra: armed });
  console.log(formatReport(report));
  process.exit(report.failed ? 1 : 0);
}

const options = {
  latencyMs: env.SIMULATOR_LATENCY_MS ? Number(env.SIMULATOR_LATENCY_MS) : undefined,
  seed: env.SIMULATOR_SEED,
  scenarioDir: values.scenarios,
  scenarios: armed,
  logger: {
    info: (message: string, data?: Record<string, unknown>) => console.log(message, data ?? ""),
    warn: (message: string, data?: Record<string, unknown>) => console.warn(message, data ?? ""),
  },
};
const simulator = createSimulator(options);
const { url } = await simulator.listen(
  Number(values.port ?? env.SIMULATOR_PORT ?? 4010),
  env.SIMULATOR_HOST ?? "127.0.0.1",
);
if (armed.length) {
  const res = await fetch(`${url}/__sim/scenarios`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ scenarios: armed }),
  });
  if (!res.ok) throw new Error(`could not arm the scenarios: ${await res.text()}`);
}
const creds = resolveCredentials(options);

console.log(`
Daraja simulator on ${url}
  DARAJA_BASE_URL      ${url}
  consumer key         ${creds.consumerKey}
  consumer secret      ${creds.consumerSecret}
  shortcode            ${creds.shortcode}
  passkey              ${creds.passkey}
  virtual handset      ${url}/handset
  self-test page       ${url}/selftest
  control API          ${url}/__sim/state
${armed.map((s) => `  armed scenario       ${s.name} (push to ${s.payment.phone})`).join("\n")}`);

if (values["self-test"]) {
  const report = await selfTestFromCli({
    app: values.app,
    "api-key": values["api-key"],
    only: values.only,
    simulator: url,
  });
  console.log(formatReport(report));
  await simulator.close();
  process.exit(report.failed ? 1 : 0);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void simulator.close().then(() => process.exit(0)));
}
