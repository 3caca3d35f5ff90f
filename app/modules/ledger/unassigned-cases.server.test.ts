// Cases that name no payment, opened many at once (a statement's unknown money): each new case is
// announced to merchants as case.opened in the statement that opens it, with the same snapshot the
// gate's other writers send (emitCaseEvents), in the order the cases were given, and only once.
import { randomUUID } from "node:crypto";
import { asc, eq, inArray, sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/client";
import {
  exceptions,
  payments,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "../../../db/schema";
import { createTestDatabase } from "../../../tests/support/db";
import { openUnassignedCasesInBulk } from "./cases.server";
import { CASE_SNAPSHOT_COLUMNS, caseOpenedEventsOf, emitCaseEvents } from "./outbox.server";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

const endpoint = async (eventTypes: string[], enabled = true) => {
  const [row] = await database.db
    .insert(webhookEndpoints)
    .values({
      url: "https://merchant.example/hooks",
      eventTypes,
      role: "finance",
      enabled,
      secret: "whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdA==",
    })
    .returning({ id: webhookEndpoints.id });
  return row!.id;
};

const unknownMoney = (receipt: string, amount: number) => ({
  type: "statement_only" as const,
  key: `statement_only:test:${receipt}`,
  lineId: 0,
  receipt,
  amount,
  summary: `KES ${amount.toLocaleString("en-KE")} arrived (receipt ${receipt}) and no payment knows it`,
  details: { statement: { receipt, amountKes: amount } },
});

// The events of these cases, oldest first, with the key of the case each announces.
const eventsOf = async (caseIds: string[]) =>
  database.db
    .select({
      id: webhookEvents.id,
      seq: webhookEvents.seq,
      type: webhookEvents.type,
      paymentId: webhookEvents.paymentId,
      key: exceptions.dedupeKey,
      payload: webhookEvents.payload,
    })
    .from(webhookEvents)
    .innerJoin(exceptions, eq(exceptions.id, webhookEvents.exceptionId))
    .where(inArray(webhookEvents.exceptionId, caseIds))
    .orderBy(asc(webhookEvents.seq));

it("announces each case it opens once, in the order given, with the snapshot emitCaseEvents sends, to the endpoints that chose case.opened", async () => {
  const wants = await endpoint(["case.opened", "case.resolved"]);
  const other = await endpoint(["payment.paid"]);
  const disabled = await endpoint(["case.opened"], false);

  const first = await openUnassignedCasesInBulk(database.db, [unknownMoney("UKN0000001", 250)]);
  expect(first).toEqual(["statement_only"]);

  // Given out of key order, repeating the case already open, and one case twice: neither repeat is
  // opened or announced again.
  const given = [
    unknownMoney("UKN0000009", 1_500),
    unknownMoney("UKN0000001", 250),
    unknownMoney("UKN0000003", 70_000),
    unknownMoney("UKN0000002", 10),
    unknownMoney("UKN0000007", 99),
    unknownMoney("UKN0000004", 1_000_000),
    unknownMoney("UKN0000003", 70_000),
    unknownMoney("UKN0000008", 5),
    unknownMoney("UKN0000005", 12_345),
    unknownMoney("UKN0000006", 1),
  ];
  const opened = await openUnassignedCasesInBulk(database.db, given);
  expect(opened).toEqual(Array(8).fill("statement_only"));

  const cases = await database.db
    .select({ id: exceptions.id, key: exceptions.dedupeKey })
    .from(exceptions)
    .where(
      inArray(
        exceptions.dedupeKey,
        given.map((g) => g.key),
      ),
    );
  expect(cases).toHaveLength(9); // nine keys given: one case each
  const idOf = new Map(cases.map((c) => [c.key, c.id]));
  const newKeys = [0, 2, 3, 4, 5, 7, 8, 9].map((i) => given[i]!.key);
  const newIds = newKeys.map((k) => idOf.get(k)!);

  const events = await eventsOf(newIds);
  expect(events).toHaveLength(8);
  expect(events.map((e) => [e.type, e.key, e.paymentId])).toEqual(
    newKeys.map((k) => ["case.opened", k, null]),
  );
  // The case opened before is announced once: by its own bulk open.
  const earlier = await eventsOf([idOf.get(given[1]!.key)!]);
  expect(earlier.map((e) => e.type)).toEqual(["case.opened"]);

  // What the gate's other writers send for the same cases, written after them: the same snapshots.
  await emitCaseEvents(database.db, "case.opened", newIds);
  const both = await eventsOf(newIds);
  const again = both.slice(events.length);
  expect(again.map((e) => e.key)).toEqual(newKeys);
  expect(events.map((e) => e.payload)).toEqual(again.map((e) => e.payload));
  expect(events[2]!.payload).toMatchObject({
    case: {
      id: newIds[2],
      type: "statement_only",
      status: "open",
      receipt: "UKN0000002",
      amountAtStake: 10,
      paymentId: null,
      resolution: null,
      resolvedAt: null,
      openedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    },
  });

  // One delivery per new event, to the one enabled endpoint that chose case.opened.
  const deliveries = await database.db
    .select({
      eventId: webhookDeliveries.eventId,
      endpointId: webhookDeliveries.endpointId,
      eventSeq: webhookDeliveries.eventSeq,
      paymentId: webhookDeliveries.paymentId,
    })
    .from(webhookDeliveries)
    .where(
      inArray(
        webhookDeliveries.eventId,
        events.map((e) => e.id),
      ),
    );
  expect(deliveries).toHaveLength(events.length);
  const seqOf = new Map(events.map((e) => [e.id, e.seq]));
  for (const d of deliveries) {
    expect(d.endpointId).toBe(wants);
    expect(d.eventSeq).toBe(seqOf.get(d.eventId));
    expect(d.paymentId).toBeNull();
  }
  expect(deliveries.map((d) => d.endpointId)).not.toContain(other);
  expect(deliveries.map((d) => d.endpointId)).not.toContain(disabled);
});

it("a case that names a payment is announced with the payment's snapshot, as emitCaseEvents sends it", async () => {
  const wants = await endpoint(["case.opened"]);
  const paymentId = randomUUID();
  await database.db.insert(payments).values({
    id: paymentId,
    orderRef: `UC-${paymentId.slice(0, 8)}`,
    amountKes: 750,
    phone: "254700000123",
    description: "case events test",
    accountReference: "UC",
    status: "paid",
  });
  const [row] = rowsOf<{ id: string }>(
    await database.db.execute(sql`
      with opened as (
        insert into exceptions (type, dedupe_key, payment_id, receipt, amount_at_stake_kes, summary)
        values ('amount_mismatch', ${`amount_mismatch:test:${paymentId}`}, ${paymentId}::uuid, 'UKN0000100', 50,
          'KES 800 arrived for a payment of KES 750')
        returning ${CASE_SNAPSHOT_COLUMNS}),
      ${caseOpenedEventsOf(sql`opened`)}
      select id from opened`),
  );
  const caseId = row!.id;
  await emitCaseEvents(database.db, "case.opened", [caseId]);

  const [inStatement, fromGate] = await eventsOf([caseId]);
  expect(inStatement!.paymentId).toBe(paymentId);
  expect(inStatement!.payload).toEqual(fromGate!.payload);
  expect(inStatement!.payload).toMatchObject({
    payment: { id: paymentId, amount: 750, status: "paid", phone: "254700000123" },
    case: { id: caseId, paymentId, type: "amount_mismatch" },
  });
  const deliveries = await database.db
    .select({ endpointId: webhookDeliveries.endpointId, paymentId: webhookDeliveries.paymentId })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.eventId, inStatement!.id));
  // The first test's endpoint chose case.opened too: each delivery carries the payment (its order key).
  expect(deliveries).toContainEqual({ endpointId: wants, paymentId });
  for (const d of deliveries) expect(d.paymentId).toBe(paymentId);
});
