import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const basic = (key: string, secret: string) =>
  `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}`;
const generate = (query: string, authorization?: string) =>
  h.call(`/oauth/v1/generate${query}`, {
    headers: authorization ? { Authorization: authorization } : {},
  });

describe("GET /oauth/v1/generate", () => {
  it("issues a 28-character token with expires_in as a string, and counts it", async () => {
    const res = await generate(
      "?grant_type=client_credentials",
      basic("sim-consumer-key", "sim-consumer-secret"),
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9]{28}$/),
      expires_in: "3599",
    });
    await generate(
      "?grant_type=client_credentials",
      basic("sim-consumer-key", "sim-consumer-secret"),
    );
    expect((await h.control("state")).json.counts.tokensIssued).toBe(2);
  });

  it.each([
    ["wrong secret", basic("sim-consumer-key", "nope")],
    ["no colon", `Basic ${Buffer.from("sim-consumer-key").toString("base64")}`],
    ["bearer instead of basic", "Bearer abc"],
    ["no header", undefined],
  ])("rejects %s with 400.008.01", async (_name, authorization) => {
    const res = await generate("?grant_type=client_credentials", authorization);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      requestId: expect.any(String),
      errorCode: "400.008.01",
      errorMessage: "Invalid Authentication passed",
    });
  });

  it.each(["", "?grant_type=client_credential", "?grant_type=client_credentials%20"])(
    "rejects grant type %j with 400.008.02",
    async (query) => {
      const res = await generate(query, basic("sim-consumer-key", "sim-consumer-secret"));
      expect(res.status).toBe(400);
      expect(res.json.errorCode).toBe("400.008.02");
      expect(res.json.errorMessage).toBe("Invalid grant type passed");
    },
  );

  it("reports the configured TTL", async () => {
    await h.control("config", { tokenTtlSeconds: 60 });
    const res = await generate(
      "?grant_type=client_credentials",
      basic("sim-consumer-key", "sim-consumer-secret"),
    );
    expect(res.json.expires_in).toBe("60");
  });
});

describe("Bearer tokens", () => {
  const invalidToken = {
    requestId: expect.any(String),
    errorCode: "404.001.03",
    errorMessage: "Invalid Access Token",
  };

  it("answers an unknown token with HTTP 404 404.001.03", async () => {
    const res = await h.darajaPost("/mpesa/stkpush/v1/processrequest", h.pushBody(), {
      token: "bogus",
    });
    expect(res.status).toBe(404);
    expect(res.json).toEqual(invalidToken);
  });

  it("expires tokens on the simulator clock", async () => {
    const token = await h.getToken();
    await h.control("config", { clock: { offsetMs: 3600 * 1000 } });
    const res = await h.darajaPost("/mpesa/stkpushquery/v1/query", {}, { token });
    expect(res.status).toBe(404);
    expect(res.json).toEqual(invalidToken);
  });

  it("expires every token on demand; a fresh one works", async () => {
    const token = await h.getToken();
    expect((await h.control("expire-tokens", {})).json.expired).toBeGreaterThan(0);
    const rejected = await h.darajaPost("/mpesa/stkpush/v1/processrequest", h.pushBody(), {
      token,
    });
    expect(rejected.status).toBe(404);
    const fresh = await h.getToken();
    const accepted = await h.darajaPost(
      "/mpesa/stkpush/v1/processrequest",
      h.pushBody({ PhoneNumber: "254708000012" }),
      { token: fresh },
    );
    expect(accepted.status).toBe(200);
  });
});
