// Idempotency-Key claims: a request still running under a key answers 409 (retry shortly); a claim
// left unanswered by a process that died mid-request is taken over by the next retry instead of
// answering 409 for ever; a finished request is replayed.
import { eq, sql } from "drizzle-orm";
import { idempotencyKeys } from "../../../db/schema";
import { createTestDatabase } from "../../../tests/support/db";
import type { Database } from "../../../db/client";
import { CLAIM_EXPIRES_S, requestFingerprint, withIdempotency } from "./idempotency.server";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const body = { orderRef: "INV-1", amount: 100, phone: "0712345678" };
const answer = { status: 201, body: { payment: { id: "p1" } } };

/** A claim as a request leaves it when it dies after claiming, `ageS` seconds ago. */
async function deadClaim(key: string, ageS: number) {
  await database.db.insert(idempotencyKeys).values({
    scope: "key:test",
    key,
    requestHash: requestFingerprint(body),
    createdAt: sql`now() - make_interval(secs => ${ageS})`,
  });
}

it("answers 409 while a recent claim has no answer yet", async () => {
  await deadClaim("k-recent", 5);
  let ran = false;
  const attempt = withIdempotency(
    database.db,
    { scope: "key:test", key: "k-recent", body },
    async () => {
      ran = true;
      return answer;
    },
  );
  await expect(attempt).rejects.toMatchObject({ status: 409, code: "idempotency_in_progress" });
  expect(ran).toBe(false);
});

it("takes over a claim left unanswered past its expiry, runs the request once and replays it after", async () => {
  await deadClaim("k-dead", CLAIM_EXPIRES_S + 60);
  let runs = 0;
  const run = async () => {
    runs += 1;
    return answer;
  };
  const scope = { scope: "key:test", key: "k-dead", body };
  expect(await withIdempotency(database.db, scope, run)).toMatchObject({
    status: 201,
    replayed: false,
  });
  expect(await withIdempotency(database.db, scope, run)).toMatchObject({
    status: 201,
    replayed: true,
  });
  expect(runs).toBe(1);
  const [row] = await database.db
    .select()
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.key, "k-dead"));
  expect(row.responseStatus).toBe(201);
});
