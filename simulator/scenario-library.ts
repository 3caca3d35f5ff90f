// The named scenarios the simulator knows: every *.json in its scenario folder (by default the
// project's simulator/scenarios/), plus any given at start-up (`--scenario FILE`, the `scenarios`
// option). Read on each request, so an edited file counts without a restart.
import { readdir, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Sim } from "./context";
import { parseScenario, type Scenario } from "./scenario-format";

/** simulator/scenarios next to this file, or under the working directory (a bundled build). */
export function defaultScenarioDir(): string | null {
  const candidates = [
    fileURLToPath(new URL("./scenarios", import.meta.url)),
    join(process.cwd(), "simulator", "scenarios"),
  ];
  return candidates.find((dir) => existsSync(dir)) ?? null;
}

export async function readScenarioFile(path: string): Promise<Scenario> {
  const parsed = parseScenario(await readFile(path, "utf8"), path);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.scenario;
}

export async function readScenarioDir(dir: string): Promise<Scenario[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  return Promise.all(files.map((f) => readScenarioFile(join(dir, f))));
}

export async function loadLibrary(
  sim: Sim,
): Promise<{ ok: true; scenarios: Scenario[] } | { ok: false; error: string }> {
  try {
    const fromDir = sim.library.dir ? await readScenarioDir(sim.library.dir) : [];
    const extra = sim.library.extra;
    const names = new Set(extra.map((s) => s.name));
    return { ok: true, scenarios: [...fromDir.filter((s) => !names.has(s.name)), ...extra] };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
