// The raw log's group commit: callbacks that arrive together are stored by one insert, each request
// still gets its own committed row, and a row the database refuses costs only itself.
import { eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { rawCallbacks } from "../../../db/schema";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  storeCallback,
  waitFor,
  type TestApp,
} from "../../../tests/support/app";
import { storableText } from "../../lib/storable-text";
import { createRawLogWriter, type RawLogEntry } from "./raw-log-writer.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

/** The app's database, counting the statements sent through `execute`. */
function countingDb(db: Db) {
  const counter = { statements: 0 };
  const counted = new Proxy(db, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== "execute" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counter.statements++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { db: counted, counter };
}

const entry = (body: string, overrides: Partial<RawLogEntry> = {}): RawLogEntry => ({
  kind: "stk",
  receivedAt: new Date(),
  sourceIp: "127.0.0.1",
  sourceTrusted: null,
  headers: { "content-type": "application/json" },
  body: Buffer.from(body),
  sizeBytes: Buffer.byteLength(body),
  tokenValid: true,
  outcome: "refused", // not "received": the app's applier leaves these rows alone
  outcomeDetail: "raw log writer test",
  processedAt: new Date(),
  checkoutRequestId: null,
  merchantRequestId: null,
  receipt: null,
  conversationId: null,
  ...overrides,
});

it("stores 50 callbacks sent at once with a few inserts, each under its own id", async () => {
  const { db, counter } = countingDb(app.ctx.db);
  const writer = createRawLogWriter(db);
  const bodies = Array.from({ length: 50 }, (_, i) =>
    stkCallbackBody({ checkoutRequestId: `ws_CO_GROUP_${i}_${Date.now()}` }),
  );
  const rows = await Promise.all(
    bodies.map((body, i) =>
      writer.write(entry(body, { checkoutRequestId: `ws_CO_GROUP_${i}`, receipt: `GRP${i}` })),
    ),
  );
  expect(counter.statements).toBeLessThan(10);
  expect(new Set(rows.map((r) => r.id)).size).toBe(50);
  const stored = await app.ctx.db
    .select()
    .from(rawCallbacks)
    .where(
      inArray(
        rawCallbacks.id,
        rows.map((r) => r.id),
      ),
    );
  const byId = new Map(stored.map((r) => [r.id, r]));
  rows.forEach((row, i) => {
    const mine = byId.get(row.id)!;
    expect(Buffer.from(mine.body).toString()).toBe(bodies[i]);
    expect(mine.checkoutRequestId).toBe(`ws_CO_GROUP_${i}`);
    expect(mine.receipt).toBe(`GRP${i}`);
    expect(mine.headers).toEqual({ "content-type": "application/json" });
    expect(row.body).toEqual(Buffer.from(bodies[i]));
  });
});

it("keeps bytes that are not text, byte for byte", async () => {
  const bytes = new Uint8Array([0x00, 0xff, 0xfe, 0x7b, 0x22, 0x0a, 0x80]);
  const row = await createRawLogWriter(app.ctx.db).write({
    ...entry(""),
    body: bytes,
    sizeBytes: bytes.length,
  });
  const [stored] = await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, row.id));
  expect([...stored.body]).toEqual([...bytes]);
});

it("answers a row the database refuses with an error, and stores the others once each", async () => {
  const writer = createRawLogWriter(app.ctx.db);
  const marker = `refused-row-${Date.now()}`;
  const results = await Promise.allSettled(
    Array.from({ length: 12 }, (_, i) =>
      writer.write(
        entry(`${marker} ${i}`, {
          // PostgreSQL refuses a NUL in text: the whole multi-row insert fails.
          outcomeDetail: i === 7 ? "bad \u0000 detail" : "raw log writer test",
        }),
      ),
    ),
  );
  expect(results.map((r) => r.status)).toEqual(
    Array.from({ length: 12 }, (_, i) => (i === 7 ? "rejected" : "fulfilled")),
  );
  const stored = await app.ctx.db
    .select({ body: rawCallbacks.body })
    .from(rawCallbacks)
    .where(eq(rawCallbacks.outcomeDetail, "raw log writer test"));
  const mine = stored
    .map((r) => Buffer.from(r.body).toString())
    .filter((b) => b.startsWith(marker));
  expect(mine.sort()).toEqual(
    Array.from({ length: 12 }, (_, i) => `${marker} ${i}`)
      .filter((_, i) => i !== 7)
      .sort(),
  );
});

it("answers every callback of a group with an error when the failure is not refused data (it may have come after the commit): none stored twice", async () => {
  let calls = 0;
  const lost = new Proxy(app.ctx.db, {
    get(target, key, receiver) {
      if (key !== "execute") return Reflect.get(target, key, receiver) as unknown;
      return () => {
        calls++;
        return Promise.reject(new Error("write CONNECTION_ENDED"));
      };
    },
  });
  const writer = createRawLogWriter(lost);
  const results = await Promise.allSettled(
    Array.from({ length: 12 }, (_, i) => writer.write(entry(`lost ${i}`))),
  );
  expect(results.every((r) => r.status === "rejected")).toBe(true);
  // Two callbacks went alone (two inserts in flight), the other ten together: three statements, and
  // no second try of the ten one by one.
  expect(calls).toBe(3);
});

describe("text PostgreSQL cannot hold is made storable, and the callback is stored and applied", () => {
  it.each([
    ["a NUL", "ws_CO_\u0000NUL"],
    ["a lone surrogate", "ws_CO_\ud800LONE"],
  ])("a CheckoutRequestID and ResultDesc with %s", async (_, id) => {
    const body = stkCallbackBody({
      checkoutRequestId: id,
      receipt: `NUL${Date.now() % 1e7}`,
      resultDesc: `done ${id}`,
    });
    const response = await postStkCallback(app, body);
    expect(response.status).toBe(200);
    const row = await waitFor(async () => {
      const rows = await app.ctx.db
        .select()
        .from(rawCallbacks)
        .where(eq(rawCallbacks.sizeBytes, Buffer.byteLength(body)));
      const mine = rows.find((r) => Buffer.from(r.body).toString() === body);
      return mine && mine.outcome !== "received" ? mine : undefined;
    });
    // Stored byte for byte; applied as what it is, a callback for a CheckoutRequestID we never sent.
    expect(row.outcome).toBe("orphan");
    expect(row.checkoutRequestId).toBe(storableText(id));
    expect(row.checkoutRequestId).toContain("\uFFFD");
  });

  it("intake leaves such an identifier out and keeps the others", async () => {
    const row = await storeCallback(
      app.ctx,
      stkCallbackBody({ checkoutRequestId: "ws_CO_\u0000X", receipt: "TCE4XK2P7Q" }),
    );
    expect(row.checkoutRequestId).toBeNull();
    expect(row.receipt).toBe("TCE4XK2P7Q");
  });

  it.each([
    ["a C2B confirmation that is not JSON", "c2b_confirmation", '{"TransID": \u0000}', "invalid"],
    [
      "a Transaction Status result",
      "status_result",
      '{"Result":{"ConversationID":"AG_\u0000X","OriginatorConversationID":"x\u0000y"',
      "orphan", // a result for no request of ours
    ],
  ] as const)(
    "%s with a raw NUL byte is stored and marked, not retried forever",
    async (_, kind, text, outcome) => {
      const row = await storeCallback(app.ctx, Buffer.from(text), kind);
      expect(row.receipt).toBeNull();
      expect(row.conversationId).toBeNull();
      app.ctx.callbackQueue.wake();
      const done = await waitFor(async () => {
        const [now] = await app.ctx.db
          .select()
          .from(rawCallbacks)
          .where(eq(rawCallbacks.id, row.id));
        return now.outcome !== "received" ? now : undefined;
      });
      expect(done.outcome).toBe(outcome);
    },
  );
});
