import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createSimulator } from "./server";
import { passwordFor, startHarness, startReceiver, waitFor } from "./test-harness";

describe("createSimulator", () => {
  it("answers unknown paths and wrong methods like Daraja", async () => {
    const h = await startHarness();
    const missing = await h.call("/mpesa/nothing/v1");
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      errorCode: "404.001.01",
      errorMessage: "Resource not found",
    });
    const wrongMethod = await h.call("/mpesa/stkpush/v1/processrequest");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json.errorCode).toBe("405.001");
    expect((await h.call("/__sim/nothing")).status).toBe(404);
    await h.close();
  });

  it("exposes a handler that runs inside someone else's server", async () => {
    const sim = createSimulator();
    const server = createServer(sim.handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/__sim/state`);
    expect((await res.json()).counts.pushes).toBe(0);
    await sim.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("closes promptly even with a hung push holding its socket", async () => {
    const h = await startHarness({ hangMs: 60_000 });
    const pending = h
      .push({ PhoneNumber: "254708000014", PartyA: "254708000014" })
      .catch((e: unknown) => e);
    await waitFor(async () => (await h.control("state")).json.counts.pushesAccepted === 1);
    const started = Date.now();
    await h.close();
    // The push hangs for 60 s: a close that waited for it would take that long. (A wide margin: this
    // tells "did not wait" from "waited", it is not a speed target.)
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("produces the same IDs, receipts and tokens for the same seed and clock", async () => {
    const run = async () => {
      const receiver = await startReceiver();
      const sim = createSimulator({ seed: 42, latencyMs: 1 });
      const { url } = await sim.listen();
      const post = (path: string, body: unknown) =>
        fetch(url + path, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      await post("/__sim/config", { clock: { now: "2025-03-14T07:15:12.345Z" } });
      const basic = Buffer.from("sim-consumer-key:sim-consumer-secret").toString("base64");
      const token = (
        await (
          await fetch(`${url}/oauth/v1/generate?grant_type=client_credentials`, {
            headers: { Authorization: `Basic ${basic}` },
          })
        ).json()
      ).access_token;
      const timestamp = "20250314101512";
      const push = await fetch(`${url}/mpesa/stkpush/v1/processrequest`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          BusinessShortCode: "174379",
          Password: passwordFor(timestamp),
          Timestamp: timestamp,
          TransactionType: "CustomerPayBillOnline",
          Amount: 10,
          PartyA: "254708000001",
          PartyB: "174379",
          PhoneNumber: "254708000001",
          CallBackURL: `${receiver.url}/cb`,
          AccountReference: "A1",
          TransactionDesc: "D",
        }),
      });
      const ids = await push.json();
      await waitFor(() => receiver.received.length > 0);
      await sim.close();
      await receiver.close();
      return { token, ids, callback: receiver.received[0].raw };
    };
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    expect(a.ids.CheckoutRequestID).toBe("ws_CO_14032025101512345708000001");
  });

  it("logs through an injected logger", async () => {
    const lines: string[] = [];
    const logger = {
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
    };
    const sim = createSimulator({ logger, latencyMs: 1 });
    await sim.listen();
    expect(lines).toContain("info simulator listening");
    await sim.close();
  });

  it("uses an injected fetch for callback delivery", async () => {
    const seen: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response("{}", { status: 202 });
    };
    const h = await startHarness({ fetch: fakeFetch });
    const id = (await h.push()).json.CheckoutRequestID;
    const delivery = await waitFor(async () => (await h.control("state")).json.deliveries[0]);
    expect(delivery).toMatchObject({ checkoutRequestId: id, status: 202 });
    expect(seen).toEqual([`${h.receiver.url}/hooks/daraja/stk/tok123`]);
    await h.close();
  });
});
