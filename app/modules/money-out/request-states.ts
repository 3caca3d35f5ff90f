// Where an initiator request (Transaction Status, Reversal, Account Balance) may go from each state
// (docs/daraja.md#initiator-apis). Pure: the gate (request-writer.server.ts) checks every change
// against it, and the result's applier asks it before anything is written.
import type { DarajaRequest, DarajaRequestState } from "../../../db/schema";

/** What finance calls each kind of request. */
export const REQUEST_LABEL = {
  status: "Transaction Status",
  reversal: "Reversal",
  balance: "Account Balance",
} as const;

/** A state in words ("awaiting approval"). */
export const requestStateText = (state: DarajaRequestState): string => state.replace(/_/g, " ");

/** What M-Pesa's answer may do to a request: settle it or say its queue timed it out. */
const ANSWERED: DarajaRequestState[] = ["completed", "failed", "timed_out"];

export const REQUEST_MOVES: Record<DarajaRequestState, readonly DarajaRequestState[]> = {
  // A second finance user decides; nothing has left.
  awaiting_approval: ["sending", "rejected"],
  // Being sent: Daraja's answer to the call comes back, or M-Pesa's result overtakes it, or the
  // process died between the two and finance records, once the wait is over, that no answer came.
  sending: ["sent", "send_failed", "refused", "unanswered", ...ANSWERED],
  sent: ["unanswered", ...ANSWERED],
  // The call got no usable answer: M-Pesa may still have taken the request, and its result is applied.
  send_failed: ANSWERED,
  // M-Pesa's queue timed it out: a result that still arrives is applied (the Result URL is the only
  // witness of what M-Pesa did).
  timed_out: ["completed", "failed"],
  // Finance recorded that no answer came: a result is still applied, but a late queue timeout does
  // not overwrite what finance recorded.
  unanswered: ["completed", "failed"],
  completed: [],
  failed: [],
  // Nothing left: Daraja refused the call, or a second user refused the reversal.
  refused: [],
  rejected: [],
};

export function canMoveRequest(from: DarajaRequestState, to: DarajaRequestState): boolean {
  return REQUEST_MOVES[from].includes(to);
}

/** A request nothing can change any more. */
export function isSettled(state: DarajaRequestState): boolean {
  return REQUEST_MOVES[state].length === 0;
}

/**
 * Whether M-Pesa can have taken the request: a result about one that never entered its queue (still
 * waiting for its approver, rejected, or refused by Daraja when sent) is not about it.
 */
export function wasSent(state: DarajaRequestState): boolean {
  return state !== "awaiting_approval" && state !== "rejected" && state !== "refused";
}

/**
 * Until when a reversal that failed to send or that M-Pesa's queue timed out may still complete (both
 * may: see REQUEST_MOVES), so that no second reversal of its receipt is asked for meanwhile; null when
 * the row is not such a reversal. The same wait as for recording that a sent one got no answer.
 */
export function mayStillCompleteUntil(
  row: Pick<DarajaRequest, "kind" | "state" | "updatedAt">,
  resultWaitMs: number,
): Date | null {
  if (row.kind !== "reversal" || (row.state !== "send_failed" && row.state !== "timed_out"))
    return null;
  return new Date(row.updatedAt.getTime() + resultWaitMs);
}
