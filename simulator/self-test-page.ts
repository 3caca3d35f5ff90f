// GET/POST /selftest: the self-test as a page. The form takes the app's address and an API key;
// the run goes on in the background (scenarios take seconds to minutes, as a poller does) and the
// page refreshes itself until the report is complete. GET /__sim/selftest gives the same as JSON.
// The API key is used for the run only and is never stored, logged or shown.
import type { Exchange, Sim } from "./context";
import { escapeHtml } from "./handset-page";
import { sendControlError, sendHtml, sendJson } from "./http-io";
import { loadLibrary } from "./scenario-library";
import { runSelfTest, type ScenarioResult, type SelfTestReport } from "./self-test";

export interface SelfTestRun {
  appUrl: string;
  startedAt: string;
  running: boolean;
  results: ScenarioResult[];
  total: number;
  report: SelfTestReport | null;
  error: string | null;
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;padding:24px;color:#1b2b23;background:#f4f7f5}
main{max-width:960px;margin:0 auto}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{border-bottom:1px solid #d5ddd8;padding:6px 8px;text-align:left;vertical-align:top;font-size:14px}
.passed{color:#1e7a33;font-weight:600}.failed{color:#b02a1e;font-weight:600}.skipped{color:#6b6b6b}
input{padding:6px;border:1px solid #9bb0a4;border-radius:6px;width:100%;box-sizing:border-box}
label{display:block;margin:8px 0 4px}button{margin-top:12px;padding:8px 14px}
.muted{color:#5a6d62}
`;

function page(sim: Sim, scenarios: { name: string; title: string }[], note = ""): string {
  const run = sim.selfTest;
  const rows = (run?.results ?? [])
    .map(
      (r) =>
        `<tr><td class="${r.outcome}">${r.outcome}</td><td><strong>${escapeHtml(r.name)}</strong><br><span class="muted">${escapeHtml(r.title)}</span></td><td>${escapeHtml(r.expected.status)}${r.expected.exceptions.length ? ` + ${escapeHtml(r.expected.exceptions.join(", "))}` : ""}</td><td>${escapeHtml(r.summary)}</td><td>${r.seconds} s</td></tr>`,
    )
    .join("");
  const status = !run
    ? `<p class="muted">No self-test has run yet.</p>`
    : run.running
      ? `<p>Running against ${escapeHtml(run.appUrl)}: ${run.results.length} of ${run.total} scenarios done…</p>`
      : run.error
        ? `<p class="failed">The self-test could not run: ${escapeHtml(run.error)}</p>`
        : `<p id="summary">Against ${escapeHtml(run.appUrl)} (started ${escapeHtml(run.startedAt)}): <span class="passed">${run.report?.passed} passed</span>, <span class="failed">${run.report?.failed} failed</span>, ${run.report?.skipped} skipped.</p>`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Simulator self-test</title>
${run?.running ? '<meta http-equiv="refresh" content="2">' : ""}<style>${STYLE}</style></head><body><main>
<h1>Self-test: your app against every named scenario</h1>
<p class="muted">Point your app's Daraja address (DARAJA_BASE_URL) at this simulator, create an API key
in the app (admin, to include the callback log), and run. Each scenario asks your app for a payment on
its own phone number, then this simulator answers as the scenario scripts; the table says what your app
ended with.</p>
${note ? `<p class="failed">${escapeHtml(note)}</p>` : ""}
<form method="post" action="/selftest">
<label for="app">App address</label><input id="app" name="app" required placeholder="http://127.0.0.1:3000" value="${escapeHtml(run?.appUrl ?? "")}">
<label for="key">API key</label><input id="key" name="apiKey" type="password" required autocomplete="off">
<label for="only">Only these scenarios (comma-separated names; empty = all)</label><input id="only" name="only" placeholder="paid-masked-phone, late-success">
<button type="submit"${run?.running ? " disabled" : ""}>Run ${scenarios.length} scenarios</button>
</form>
${status}
<table><thead><tr><th>result</th><th>scenario</th><th>expected</th><th>what the app did</th><th>time</th></tr></thead><tbody id="results">${rows}</tbody></table>
</main></body></html>`;
}

export async function handleSelfTestPage(sim: Sim, ex: Exchange): Promise<void> {
  const library = await loadLibrary(sim);
  const scenarios = library.ok ? library.scenarios : [];
  if (ex.req.method !== "POST")
    return sendHtml(ex.res, page(sim, scenarios, library.ok ? "" : library.error));
  const form = new URLSearchParams(ex.rawBody);
  const appUrl = (form.get("app") ?? "").trim();
  const apiKey = (form.get("apiKey") ?? "").trim();
  if (!/^https?:\/\/\S+$/i.test(appUrl) || !apiKey)
    return sendHtml(
      ex.res,
      page(sim, scenarios, "Give the app's address (http://…) and an API key."),
    );
  const only = (form.get("only") ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const chosen = only.length ? scenarios.filter((s) => only.includes(s.name)) : scenarios;
  if (!chosen.length)
    return sendHtml(ex.res, page(sim, scenarios, `No scenario is called ${only.join(", ")}.`));
  if (sim.selfTest?.running)
    return sendHtml(ex.res, page(sim, scenarios, "A self-test is already running."));
  const host = ex.req.headers.host ?? "127.0.0.1";
  startRun(sim, { appUrl, apiKey, simulatorUrl: `http://${host}`, scenarios: chosen });
  ex.res.writeHead(303, { Location: "/selftest" }).end();
}

function startRun(
  sim: Sim,
  input: {
    appUrl: string;
    apiKey: string;
    simulatorUrl: string;
    scenarios: Parameters<typeof runSelfTest>[0]["scenarios"];
  },
): void {
  const run: SelfTestRun = {
    appUrl: input.appUrl,
    startedAt: new Date().toISOString(),
    running: true,
    results: [],
    total: input.scenarios.length,
    report: null,
    error: null,
  };
  sim.selfTest = run;
  runSelfTest({ ...input, onResult: (r) => run.results.push(r) })
    .then((report) => {
      run.report = report;
      run.results = report.results;
    })
    .catch((error: unknown) => {
      run.error = error instanceof Error ? error.message : String(error);
    })
    .finally(() => {
      run.running = false;
    });
}

/** GET /__sim/selftest: the current or last run as JSON (no API key in it). */
export function handleSelfTestState(sim: Sim, ex: Exchange): void {
  if (!sim.selfTest) return sendControlError(ex.res, 404, "no_run", "no self-test has run yet");
  sendJson(ex.res, 200, sim.selfTest);
}
