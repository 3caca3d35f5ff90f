// Daraja's hooks on the BUILT server. server.ts answers a POST to a hook route's own path straight
// from node:http (the path that takes bursts); any other shape of the same URL — two trailing
// slashes, say — goes through express and Remix. Both must answer the same, store the request, and
// keep the same guards. Which way a request went shows in its Content-Security-Policy: the direct
// path's is "default-src 'none'", express's carries a script nonce.
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";

let s: BuiltServer;
beforeAll(async () => {
  // Request log lines are at info: the test reads them for the token.
  s = await startSuiteServer({ label: "hook-paths", env: { LOG_LEVEL: "info" } });
});
afterAll(async () => s?.stop());

const HOOKS = [
  { path: "stk", answer: { ResultCode: 0, ResultDesc: "Accepted" } },
  { path: "c2b/confirmation", answer: { ResultCode: 0, ResultDesc: "Success" } },
  { path: "c2b/validation", answer: { ResultCode: "0", ResultDesc: "Accepted" } },
  { path: "status/result", answer: { ResultCode: 0, ResultDesc: "Accepted" } },
  { path: "reversal/timeout", answer: { ResultCode: 0, ResultDesc: "Accepted" } },
];

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.baseUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: compared as null
  }
  return {
    status: res.status,
    json,
    csp: res.headers.get("content-security-policy") ?? "",
    type: res.headers.get("content-type"),
  };
}

async function storedWith(marker: string): Promise<{ outcome: string }[]> {
  const res = await s.api<{ callbacks: { outcome: string }[] }>(
    `/api/callbacks?q=${encodeURIComponent(marker)}`,
  );
  expect(res.status).toBe(200);
  return res.body.callbacks;
}

const marker = () => `MARK${randomBytes(6).toString("hex")}`;

it.each(HOOKS)("answers $path the same directly and through Remix, and stores both", async (hook) => {
  const direct = marker();
  const viaRemix = marker();
  const a = await post(`/hooks/daraja/${hook.path}/${s.callbackToken}`, JSON.stringify({ direct }));
  const b = await post(
    `/hooks/daraja/${hook.path}/${s.callbackToken}//`,
    JSON.stringify({ viaRemix }),
  );
  expect(a.csp).toBe("default-src 'none';frame-ancestors 'none'");
  expect(b.csp).toContain("'nonce-");
  const answer = { status: 200, json: hook.answer, type: "application/json; charset=utf-8" };
  expect(a).toMatchObject(answer);
  expect(b).toMatchObject(answer);
  // Stored before the answer; readable (and so findable) whatever became of it after.
  expect(await storedWith(direct)).toHaveLength(1);
  expect(await storedWith(viaRemix)).toHaveLength(1);
});

it("refuses a wrong token, an unknown API and an oversized body the same both ways", async () => {
  const token = s.callbackToken;
  for (const suffix of ["", "//"]) {
    expect(await post(`/hooks/daraja/stk/not-the-token${suffix}`, "{}")).toMatchObject({
      status: 404,
      json: { ResultCode: 1, ResultDesc: "Not found" },
    });
    expect(await post(`/hooks/daraja/nosuch/result/${token}${suffix}`, "{}")).toMatchObject({
      status: 404,
      json: { ResultCode: 1, ResultDesc: "Not found" },
    });
    const big = JSON.stringify({ filler: "A".repeat(100_000) });
    expect(await post(`/hooks/daraja/stk/${token}${suffix}`, big)).toMatchObject({
      status: 413,
      json: { ResultCode: 1, ResultDesc: "Payload too large" },
    });
    expect(await post(`/hooks/daraja/c2b/validation/${token}${suffix}`, big)).toMatchObject({
      status: 413,
      json: { ResultCode: "C2B00016", ResultDesc: "Rejected" },
    });
  }
});

it("takes any letter case directly; leaves GET and opaque-origin POSTs to express's guards", async () => {
  const m = marker();
  const upper = await post(`/HOOKS/Daraja/STK/${s.callbackToken}`, JSON.stringify({ m }));
  expect(upper).toMatchObject({ status: 200, json: { ResultCode: 0 } });
  expect(upper.csp).toBe("default-src 'none';frame-ancestors 'none'");
  expect(await storedWith(m)).toHaveLength(1);

  const get = await fetch(`${s.baseUrl}/hooks/daraja/stk/${s.callbackToken}`);
  expect(get.status).toBe(405);
  expect(await post(`/hooks/daraja/stk/${s.callbackToken}`, "{}", { Origin: "null" })).toMatchObject({
    status: 403,
  });
});

/** A request sent exactly as written (fetch would resolve `..` and never sends a full URL as the target). */
function rawPost(target: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      s.baseUrl,
      { method: "POST", path: target, headers: { "Content-Type": "application/json" } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

it("logs hook requests without the token, however the request target is written", async () => {
  const token = s.callbackToken;
  expect(await rawPost(`/hooks/daraja/stk/${token}`, JSON.stringify({ m: marker() }))).toBe(200);
  // Remix resolves these to the STK hook too: express's log line must cut them all the same.
  expect(await rawPost(`/x/../hooks/daraja/stk/${token}`, "{}")).toBe(200);
  // Remix's adapter refuses a full URL: an error, answered and logged without the token.
  expect(await rawPost(`${s.baseUrl}/hooks/daraja/stk/${token}`, "{}")).toBe(500);
  const lines = await waitFor(async () => {
    const found = s
      .output()
      .split("\n")
      .filter((l) => l.includes('"msg":"request"') && l.includes("/hooks/daraja/stk/…"));
    return found.length >= 3 ? found : null;
  }, "three request log lines for the STK hook");
  expect(lines.join("\n")).toContain('"path":"/hooks/daraja/stk/…"');
  expect(s.output()).not.toContain(token);
});
