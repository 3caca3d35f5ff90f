// Where an initiator request (Transaction Status, Reversal, Account Balance) may go from each state
// (docs/daraja.md#initiator-apis). Pure: the gate (request-writer.server.ts) checks every change
// against it, and the payment page may read it.
import type { DarajaRequestState } from "../../../db/schema";

/** What M-Pesa's answer may do to a request: settle it or say its queue timed it out. */
const ANSWERED: DarajaRequestState[] = ["completed", "failed", "timed_out"];

export const REQUEST_MOVES: Record<DarajaRequestState, readonly DarajaRequestState[]> = {
  // A second finance user decides; nothing has left.
  awaiting_approval: ["sending", "rejected"],
  // Being sent: the acknowledgement comes back, or M-Pesa's answer overtakes it, or the process died
  // between the two and finance records, once the wait is over, that no answer came.
  sending: ["sent", "send_failed", "unanswered", ...ANSWERED],
  sent: ["unanswered", ...ANSWERED],
  // The HTTP call got no answer: M-Pesa may still have taken the request, and its result is applied.
  send_failed: ANSWERED,
  // M-Pesa's queue timed it out, or finance recorded that no answer came: a result that still arrives
  // is applied (the Result URL is the only witness of what M-Pesa did).
  timed_out: ["completed", "failed"],
  unanswered: ANSWERED,
  completed: [],
  failed: [],
  rejected: [],
};

export function canMoveRequest(from: DarajaRequestState, to: DarajaRequestState): boolean {
  return REQUEST_MOVES[from].includes(to);
}

/** Whether M-Pesa can have been asked: a result about a request that never left is not about it. */
export function wasSent(state: DarajaRequestState): boolean {
  return state !== "awaiting_approval" && state !== "rejected";
}
