// The self-test's verdict on one scenario (what the page and the CLI print), and a whole run against
// a stand-in app over HTTP that answers like a broken console: every payment stays pending.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScenarioSchema } from "./scenario-format";
import { differences, runSelfTest, scriptEndMs } from "./self-test";
import { startHarness, type Harness } from "./test-harness";

const scenario = ScenarioSchema.parse({
  name: "demo",
  title: "demo",
  payment: { phone: "254711999101", amount: 150 },
  script: { settleMs: 200, callbacks: [{ atMs: 900 }], c2b: [] },
  expect: { status: "paid", exceptions: ["late_success"], receipt: true, withinS: 2 },
});

describe("differences", () => {
  const observed = {
    status: "paid",
    exceptions: ["late_success"],
    receipt: true,
    callbackPhones: null,
    applying: false,
    timeline: [],
  };
  it("is empty when status, the exception set and the receipt agree", () => {
    expect(differences(scenario.expect, observed)).toEqual([]);
  });
  it("names each difference in words", () => {
    expect(
      differences(scenario.expect, {
        ...observed,
        status: "unknown",
        exceptions: [],
        receipt: false,
      }),
    ).toEqual([
      "status is unknown, expected paid",
      "open exceptions are [none], expected [late_success]",
      "no receipt recorded",
    ]);
  });
  it("waits for the script's last event plus a margin", () => {
    expect(scriptEndMs(scenario)).toBe(2400);
  });
});

describe("runSelfTest", () => {
  let h: Harness;
  let app: ReturnType<typeof createServer>;
  let appUrl: string;
  const seen: string[] = [];
  beforeAll(async () => {
    h = await startHarness();
    app = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      res.writeHead(req.method === "POST" ? 201 : 200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ payment: { id: "p1", status: "pending", openExceptions: [] } }));
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await h.close();
    await new Promise((r) => app.close(r));
  });

  it("arms the script, asks the app for the payment, and reports a failure with what it saw", async () => {
    const report = await runSelfTest({
      appUrl,
      apiKey: "key-123",
      simulatorUrl: h.url,
      scenarios: [scenario],
      pollMs: 200,
    });
    expect(report).toMatchObject({ passed: 0, failed: 1, skipped: 0 });
    expect(report.results[0]).toMatchObject({
      name: "demo",
      outcome: "failed",
      summary:
        "status is pending, expected paid; open exceptions are [none], expected [late_success]; no receipt recorded",
      paymentId: "p1",
    });
    expect(seen[0]).toBe("POST /api/payments Bearer key-123");
    expect(seen).toContain("GET /api/payments/p1 Bearer key-123");
    expect((await h.control("scenarios")).json.armed).toEqual(["254711999101"]);
  });
});
