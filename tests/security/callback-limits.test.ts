// Anonymous storage growth through the public callback URL: a wrong token keeps only a short prefix
// and is rate-limited per source address; an oversized body is answered 413 (the HTTP test of the
// built server in tests/e2e/security-headers.e2e.test.ts shows the answer arrives, not a reset).
import { eq } from "drizzle-orm";
import { rawCallbacks } from "../../db/schema";
import {
  WRONG_TOKEN_KEPT_BYTES,
  WRONG_TOKEN_LIMIT,
} from "../../app/modules/callbacks/webhook.server";
import { MAX_CALLBACK_BYTES } from "../../app/modules/callbacks/intake.server";
import { postStkCallback, startTestApp, type TestApp } from "../support/app";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it("keeps only a short prefix of a request with a wrong token", async () => {
  const body = JSON.stringify({ filler: "A".repeat(40_000) });
  const response = await postStkCallback(app, body, { token: "not-the-token-1" });
  expect(response.status).toBe(404);
  const rows = await app.ctx.db
    .select()
    .from(rawCallbacks)
    .where(eq(rawCallbacks.tokenValid, false));
  expect(rows).toHaveLength(1);
  expect(rows[0].body.byteLength).toBeLessThanOrEqual(WRONG_TOKEN_KEPT_BYTES);
  expect(rows[0].sizeBytes).toBe(body.length);
});

it("stops storing wrong-token requests from an address past the limit, and says 429", async () => {
  const before = (await app.ctx.db.select().from(rawCallbacks)).length;
  const statuses: number[] = [];
  for (let i = 0; i < WRONG_TOKEN_LIMIT.limit + 5; i++)
    statuses.push((await postStkCallback(app, "{}", { token: `guess-${i}-xxxx` })).status);
  expect(statuses.filter((s) => s === 429)).toHaveLength(6); // the first test's request counted too
  const after = (await app.ctx.db.select().from(rawCallbacks)).length;
  expect(after - before).toBe(WRONG_TOKEN_LIMIT.limit - 1);
});

it("answers an oversized callback with the right token 413", async () => {
  const response = await postStkCallback(app, "x".repeat(MAX_CALLBACK_BYTES + 10));
  expect(response.status).toBe(413);
});
