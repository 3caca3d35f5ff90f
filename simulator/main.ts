// Standalone simulator: `npm run simulator`. SIMULATOR_PORT (default 4010), SIMULATOR_HOST
// (default 127.0.0.1), SIMULATOR_LATENCY_MS and SIMULATOR_SEED tune it.
import { resolveCredentials } from "./options";
import { createSimulator } from "./server";

const env = process.env;
const options = {
  latencyMs: env.SIMULATOR_LATENCY_MS ? Number(env.SIMULATOR_LATENCY_MS) : undefined,
  seed: env.SIMULATOR_SEED,
  logger: {
    info: (message: string, data?: Record<string, unknown>) => console.log(message, data ?? ""),
    warn: (message: string, data?: Record<string, unknown>) => console.warn(message, data ?? ""),
  },
};
const simulator = createSimulator(options);
const { url } = await simulator.listen(
  Number(env.SIMULATOR_PORT ?? 4010),
  env.SIMULATOR_HOST ?? "127.0.0.1",
);
const creds = resolveCredentials(options);

console.log(`
Daraja simulator on ${url}
  DARAJA_BASE_URL      ${url}
  consumer key         ${creds.consumerKey}
  consumer secret      ${creds.consumerSecret}
  shortcode            ${creds.shortcode}
  passkey              ${creds.passkey}
  virtual handset      ${url}/handset
  control API          ${url}/__sim/state
`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void simulator.close().then(() => process.exit(0)));
}
