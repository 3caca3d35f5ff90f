// The one writer of an initiator request's state: named commands, each checked against REQUEST_MOVES
// and written only if the row is still in the state the caller read (another writer that got there
// first wins, and the command answers null). New requests are inserted as `awaiting_approval` or
// `sending` by the modules that ask for them.
import { and, eq, ne, type SQL } from "drizzle-orm";
import { type Db } from "../../../db/client";
import {
  darajaRequests,
  type DarajaRequest,
  type DarajaRequestState,
  type NewDarajaRequest,
} from "../../../db/schema";
import { canMoveRequest } from "./request-states";

type Seen = Pick<DarajaRequest, "id" | "state">;

async function move(
  db: Db,
  seen: Seen,
  to: DarajaRequestState,
  set: Partial<NewDarajaRequest>,
  also?: SQL,
): Promise<DarajaRequest | null> {
  if (!canMoveRequest(seen.state, to))
    throw new Error(`initiator request ${seen.id}: ${seen.state} → ${to} is not allowed`);
  const [moved] = await db
    .update(darajaRequests)
    .set({ ...set, state: to })
    .where(and(eq(darajaRequests.id, seen.id), eq(darajaRequests.state, seen.state), also))
    .returning();
  return moved ?? null;
}

/** A second finance user approves a reversal waiting for it: it is to be sent. Never by the user who asked. */
export const approveRequest = (
  db: Db,
  request: Pick<DarajaRequest, "id">,
  by: { userId: string; now: Date },
): Promise<DarajaRequest | null> =>
  move(
    db,
    { id: request.id, state: "awaiting_approval" },
    "sending",
    { approvedByUserId: by.userId, decidedAt: by.now, updatedAt: by.now },
    // Four eyes, settled by the database too.
    ne(darajaRequests.requestedByUserId, by.userId),
  );

/** A reversal waiting for approval is rejected (or withdrawn by the user who asked): nothing is sent. */
export const rejectRequest = (
  db: Db,
  request: Pick<DarajaRequest, "id">,
  by: { userId: string; now: Date; note: string | null },
): Promise<DarajaRequest | null> =>
  move(db, { id: request.id, state: "awaiting_approval" }, "rejected", {
    approvedByUserId: by.userId,
    decidedAt: by.now,
    decisionNote: by.note,
    updatedAt: by.now,
  });

/**
 * What the HTTP call answered. The state moves only if the request is still being sent: to `sent`, to
 * `refused` when Daraja's gateway refused its form (a 4xx: nothing entered M-Pesa's queue), or to
 * `send_failed` otherwise (an error, a 5xx or no answer: M-Pesa may have taken it). A result that came
 * first keeps its state, and an accepted request's conversation id is kept whatever the state (it names
 * the request). Answers the state the request is in afterwards, and whether the ack set it.
 */
export async function recordAck(
  db: Db,
  request: Pick<DarajaRequest, "id">,
  ack:
    { ok: true; conversationId: string | null } | { ok: false; refused: boolean; message: string },
  now: Date,
): Promise<{ state: DarajaRequestState; byAck: boolean }> {
  const sending = { id: request.id, state: "sending" } as const;
  const written = ack.ok
    ? await move(db, sending, "sent", {
        conversationId: ack.conversationId,
        sentAt: now,
        updatedAt: now,
      })
    : await move(db, sending, ack.refused ? "refused" : "send_failed", {
        sendError: ack.message,
        updatedAt: now,
      });
  if (written) return { state: written.state, byAck: true };
  // A result (or a timeout) got there first: its state stands.
  const [row] = ack.ok
    ? await db
        .update(darajaRequests)
        .set({ conversationId: ack.conversationId, sentAt: now, updatedAt: now })
        .where(eq(darajaRequests.id, request.id))
        .returning({ state: darajaRequests.state })
    : await db
        .select({ state: darajaRequests.state })
        .from(darajaRequests)
        .where(eq(darajaRequests.id, request.id));
  if (!row) throw new Error(`initiator request ${request.id} is gone`);
  return { state: row.state, byAck: false };
}

/** M-Pesa's queue timed the request out (its Timeout URL). */
export const recordTimeout = (
  db: Db,
  seen: Seen,
  at: { rawCallbackId: number; now: Date },
): Promise<DarajaRequest | null> =>
  move(db, seen, "timed_out", { resultRawCallbackId: at.rawCallbackId, updatedAt: at.now });

/** M-Pesa's result: the request is completed or failed, with what it said. */
export const settleRequest = (
  db: Db,
  seen: Seen,
  result: {
    state: "completed" | "failed";
    code: string;
    desc: string;
    result: unknown;
    rawCallbackId: number;
    now: Date;
  },
): Promise<DarajaRequest | null> =>
  move(db, seen, result.state, {
    resultCode: result.code,
    resultDesc: result.desc,
    result: result.result,
    resultRawCallbackId: result.rawCallbackId,
    completedAt: result.now,
    updatedAt: result.now,
  });

/** Finance records that M-Pesa never answered (unanswered.server.ts decides when that may be). */
export const markUnanswered = (db: Db, seen: Seen, now: Date): Promise<DarajaRequest | null> =>
  move(db, seen, "unanswered", { updatedAt: now });

/**
 * For a row read FOR UPDATE in the caller's transaction: a command that finds it changed is a bug, and
 * throws (the transaction rolls back) rather than go on as if the state had moved.
 */
export function moved(row: DarajaRequest | null): DarajaRequest {
  if (!row) throw new Error("initiator request changed while locked");
  return row;
}
