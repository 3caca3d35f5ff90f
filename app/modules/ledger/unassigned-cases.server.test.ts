// Cases that name no payment, opened many at once (a statement's unknown money): each new case is
// announced to merchants as case.opened in the statement that opens it, with the same snapshot the
// gate's other writers send (emitCaseEvents), in the order the cases were given, and only once.
import { asc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { exceptions, webhookDeliveries, webhookEndpoints, webhookEvents } from "../../../db/schema";
import { createTestDatabase } from "../../../tests/support/db";
import { openUnassignedCasesInBulk } from "./cases.server";
import { emitCaseEvents } from "./outbox.server";

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

  // Given out of key order, and repeating the case already open: that one is not opened or announced again.
  const given = [
    unknownMoney("UKN0000009", 1_500),
    unknownMoney("UKN0000001", 250),
    unknownMoney("UKN0000003", 70_000),
    unknownMoney("UKN0000002", 10),
  ];
  const opened = await openUnassignedCasesInBulk(database.db, given);
  expect(opened).toEqual(["statement_only", "statement_only", "statement_only"]);

  const cases = await database.db
    .select({ id: exceptions.id, key: exceptions.dedupeKey })
    .from(exceptions)
    .where(
      inArray(
        exceptions.dedupeKey,
        given.map((g) => g.key),
      ),
    );
  const idOf = new Map(cases.map((c) => [c.key, c.id]));
  const newKeys = [given[0]!.key, given[2]!.key, given[3]!.key];
  const newIds = newKeys.map((k) => idOf.get(k)!);

  const events = await eventsOf(newIds);
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
    .select({ eventId: webhookDeliveries.eventId, endpointId: webhookDeliveries.endpointId })
    .from(webhookDeliveries)
    .where(
      inArray(
        webhookDeliveries.eventId,
        events.map((e) => e.id),
      ),
    );
  expect(deliveries).toHaveLength(events.length);
  for (const d of deliveries) expect(d.endpointId).toBe(wants);
  expect(deliveries.map((d) => d.endpointId)).not.toContain(other);
  expect(deliveries.map((d) => d.endpointId)).not.toContain(disabled);
});
