// The payment timeline: one append-only row per thing that happened to a payment, with its actor.
import type { Db } from "../../../db/client";
import { paymentEvents } from "../../../db/schema";
import type { Actor } from "../auth/staff-audit.server";

export type EventActor =
  Actor | { kind: "daraja"; label: string } | { kind: "poller"; label: string };

export const DARAJA_ACTOR: EventActor = { kind: "daraja", label: "M-Pesa" };
export const POLLER_ACTOR: EventActor = { kind: "poller", label: "poller" };

export type NewEvent = {
  paymentId: string;
  attemptId?: string | null;
  type: string;
  summary: string;
  data?: unknown;
  rawCallbackId?: number | null;
  at?: Date;
};

export async function addPaymentEvent(db: Db, actor: EventActor, event: NewEvent): Promise<void> {
  await addPaymentEvents(db, actor, [event]);
}

/** Several events in one statement (in order): the callback path writes two per status change. */
export async function addPaymentEvents(
  db: Db,
  actor: EventActor,
  events: NewEvent[],
): Promise<void> {
  if (!events.length) return;
  await db.insert(paymentEvents).values(
    events.map((event) => ({
      paymentId: event.paymentId,
      attemptId: event.attemptId ?? null,
      type: event.type,
      actorType: actor.kind,
      actorUserId: actor.kind === "user" ? actor.userId : null,
      actorLabel: actor.label,
      summary: event.summary,
      data: event.data ?? null,
      rawCallbackId: event.rawCallbackId ?? null,
      ...(event.at ? { createdAt: event.at } : {}),
    })),
  );
}
