// Scenario files: the shipped folder parses, a script replays over real HTTP in the order and shape it
// says (callbacks duplicate, lost, out of order, masked; scripted query answers; C2B), the replay is
// deterministic, and `npm run simulator -- --scenario FILE` arms a file at start-up.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GATEWAY_HTML } from "./gateway";
import type { ScenarioInput } from "./scenario-format";
import { defaultScenarioDir, readScenarioDir } from "./scenario-library";
import { passwordFor, startHarness, waitFor, type Harness } from "./test-harness";
import { eatTimestamp } from "./clock";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ enforceSubscriberLock: false, enforceRuleLimit: false });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const PHONE = "254711999001";
const scenario = (script: ScenarioInput["script"], phone = PHONE): ScenarioInput => ({
  name: "inline",
  title: "inline",
  payment: { phone, amount: 150 },
  script,
  expect: { status: "paid" },
});
const pushFrom = (phone = PHONE) => h.push({ PhoneNumber: phone, PartyA: phone, Amount: 150 });
const stk = (r: { json: any }) => r.json.Body.stkCallback;

describe("the shipped scenario folder", () => {
  it("parses, names match file names, and every scenario has its own phone", async () => {
    const dir = defaultScenarioDir()!;
    const scenarios = await readScenarioDir(dir);
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
    expect(new Set(scenarios.map((s) => s.payment.phone)).size).toBe(scenarios.length);
    const listed = (await h.control("scenarios")).json.scenarios.map((s: any) => s.name);
    expect(listed).toEqual(scenarios.map((s) => s.name));
  });
});

describe("POST /__sim/scenarios", () => {
  it("replays callbacks in order: a failure, a masked duplicate success, a lost one", async () => {
    const armed = await h.control("scenarios", {
      scenario: scenario({
        settleMs: 100,
        callbacks: [
          { atMs: 20, result: "unreachable" },
          { atMs: 100, phone: "masked_middle", transactionDate: "absent", copies: 2 },
          { atMs: 150, result: "cancelled", lost: true },
        ],
      }),
    });
    expect(armed.json.armed).toEqual([{ name: "inline", phone: PHONE }]);
    const id = (await pushFrom()).json.CheckoutRequestID;
    await waitFor(() => h.callbacksFor(id).length === 3);
    await new Promise((r) => setTimeout(r, 150));
    const bodies = h.callbacksFor(id).map(stk);
    expect(bodies.map((b) => b.ResultCode)).toEqual([1037, 0, 0]);
    expect(bodies[1]).toEqual(bodies[2]);
    expect(bodies[1].CallbackMetadata.Item).toEqual([
      { Name: "Amount", Value: 150 },
      { Name: "MpesaReceiptNumber", Value: expect.stringMatching(/^[A-Z0-9]{10}$/) },
      { Name: "Balance" },
      { Name: "PhoneNumber", Value: "254711***001" },
    ]);
    const prompt = (await h.control("state")).json.prompts[0];
    expect(prompt).toMatchObject({ outcome: "scripted", callbacksSent: 3, callbacksDropped: 1 });
  });

  it("answers queries from the script, then from the truth", async () => {
    await h.control("scenarios", {
      scenario: scenario({
        settleMs: 5_000,
        queries: ["invalid_checkout_request", "4999", "html_200", "http_429", "final"],
      }),
    });
    const id = (await pushFrom()).json.CheckoutRequestID;
    const answers = [];
    for (let i = 0; i < 6; i++) {
      const res = await h.query(id);
      answers.push([res.status, res.json?.errorCode ?? res.json?.ResultCode ?? res.text]);
    }
    expect(answers).toEqual([
      [400, "400.002.02"],
      [200, "4999"],
      [200, GATEWAY_HTML],
      [429, "500.003.02"],
      [200, "0"],
      [200, "0"],
    ]);
    // "final" settled the truth early: no callbacks were scripted, none are sent.
    expect(h.callbacksFor(id)).toHaveLength(0);
  });

  it("scripts the push answer: an HTML page that still opens the prompt, or busy", async () => {
    await h.control("scenarios", {
      scenarios: [
        scenario({ push: "html_200", callbacks: [{ atMs: 20 }] }),
        { ...scenario({ push: "busy" }, "254711999002"), name: "busy" },
      ],
    });
    const page = await pushFrom();
    expect(page.status).toBe(200);
    expect(page.text).toBe(GATEWAY_HTML);
    await waitFor(() => h.receiver.received.length === 1);
    const busy = await pushFrom("254711999002");
    expect(busy.json.errorCode).toBe("500.003.02");
    // A script is used once: the next push from the number behaves as usual (the handset).
    expect((await pushFrom()).json.ResponseCode).toBe("0");
  });

  it("sends the scripted C2B confirmation for the push's account reference", async () => {
    await h.darajaPost("/mpesa/c2b/v2/registerurl", {
      ShortCode: "174379",
      ResponseType: "Completed",
      ConfirmationURL: `${h.receiver.url}/hooks/c2b/confirm`,
      ValidationURL: `${h.receiver.url}/hooks/c2b/validate`,
    });
    await h.control("scenarios", {
      scenario: scenario({ result: null, c2b: [{ atMs: 30, msisdn: "absent" }] }),
    });
    await pushFrom();
    const [c2b] = await waitFor(() => h.receiver.received.length > 0 && h.receiver.received);
    expect(c2b.path).toBe("/hooks/c2b/confirm");
    expect(c2b.json).toMatchObject({ TransAmount: "150.00", BillRefNumber: "INV-1001" });
    expect(c2b.json).not.toHaveProperty("MSISDN");
  });

  it("replays byte for byte with a frozen clock after a reset", async () => {
    const run = async () => {
      await h.reset();
      await h.control("config", {
        clock: { now: "2026-06-20T09:00:00.000Z" },
        enforceSubscriberLock: false,
      });
      await h.control("scenarios", {
        scenario: scenario({ callbacks: [{ atMs: 10 }, { atMs: 30, result: "cancelled" }] }),
      });
      const timestamp = eatTimestamp(Date.parse("2026-06-20T09:00:00.000Z"));
      const res = await h.push({
        PhoneNumber: PHONE,
        PartyA: PHONE,
        Timestamp: timestamp,
        Password: passwordFor(timestamp),
      });
      const id = res.json.CheckoutRequestID;
      await waitFor(() => h.callbacksFor(id).length === 2);
      return [res.text, ...h.callbacksFor(id).map((r) => r.raw)];
    };
    expect(await run()).toEqual(await run());
  });

  it("refuses two scenarios on one phone, an unknown name and a malformed script", async () => {
    const clash = await h.control("scenarios", { scenarios: [scenario({}), scenario({})] });
    expect(clash.status).toBe(400);
    expect(clash.json.error.code).toBe("phone_clash");
    expect((await h.control("scenarios", { names: ["no-such"] })).status).toBe(404);
    const bad = await h.control("scenarios", {
      scenario: { ...scenario({}), script: { queries: ["maybe"] } },
    });
    expect(bad.status).toBe(400);
  });

  it("arms shipped scenarios by name", async () => {
    const res = await h.control("scenarios", { names: ["paid-no-phone"] });
    expect(res.json.armed).toEqual([{ name: "paid-no-phone", phone: "254711000003" }]);
    expect((await h.control("scenarios")).json.armed).toEqual(["254711000003"]);
  });
});

describe("npm run simulator -- --scenario FILE", () => {
  it("arms the file at start-up: the first push from its phone replays it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sim-scenario-"));
    const file = join(dir, "masked.json");
    writeFileSync(
      file,
      JSON.stringify(scenario({ callbacks: [{ atMs: 10, phone: "masked_tail" }] }, "254711999003")),
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "simulator/main.ts", "--scenario", file, "--port", "0"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SIMULATOR_LATENCY_MS: "20" } },
    );
    try {
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      const url = await waitFor(() => /Daraja simulator on (\S+)/.exec(out)?.[1], 20_000);
      expect(out).toContain("armed scenario       inline (push to 254711999003)");
      const state = await fetch(`${url}/__sim/scenarios`).then((r) => r.json());
      expect(state.armed).toEqual(["254711999003"]);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
