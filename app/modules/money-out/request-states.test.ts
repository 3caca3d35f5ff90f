// The initiator request's transition table: what a request may become from each state.
import { DARAJA_REQUEST_STATES } from "../../../db/schema";
import { canMoveRequest, isSettled, REQUEST_MOVES, wasSent } from "./request-states";

it("ends a request only once: nothing leaves completed, failed, refused or rejected", () => {
  expect(DARAJA_REQUEST_STATES.filter(isSettled)).toEqual([
    "rejected",
    "completed",
    "failed",
    "refused",
  ]);
  for (const end of DARAJA_REQUEST_STATES.filter(isSettled))
    for (const to of DARAJA_REQUEST_STATES) expect(canMoveRequest(end, to)).toBe(false);
});

it("sends a reversal only after a second user's decision, and never asks for one again", () => {
  expect(REQUEST_MOVES.awaiting_approval).toEqual(["sending", "rejected"]);
  for (const from of DARAJA_REQUEST_STATES)
    expect(canMoveRequest(from, "awaiting_approval")).toBe(false);
  expect(DARAJA_REQUEST_STATES.filter((from) => canMoveRequest(from, "sending"))).toEqual([
    "awaiting_approval",
  ]);
});

it("applies M-Pesa's answer to every request it may have taken, however late", () => {
  const open = DARAJA_REQUEST_STATES.filter((s) => wasSent(s) && !isSettled(s));
  expect(open).toEqual(["sending", "sent", "send_failed", "timed_out", "unanswered"]);
  for (const from of open) {
    expect(canMoveRequest(from, "completed")).toBe(true);
    expect(canMoveRequest(from, "failed")).toBe(true);
  }
  // …and to none that never entered its queue.
  for (const from of ["awaiting_approval", "rejected", "refused"] as const) {
    expect(wasSent(from)).toBe(false);
    expect(canMoveRequest(from, "completed")).toBe(false);
  }
});

it("lets finance record no answer only for a request on its way, and nothing overwrites it but a result", () => {
  expect(DARAJA_REQUEST_STATES.filter((from) => canMoveRequest(from, "unanswered"))).toEqual([
    "sending",
    "sent",
  ]);
  expect(REQUEST_MOVES.unanswered).toEqual(["completed", "failed"]);
  expect(canMoveRequest("timed_out", "timed_out")).toBe(false);
  // Only the call's own answer says refused: never a request already sent.
  expect(DARAJA_REQUEST_STATES.filter((from) => canMoveRequest(from, "refused"))).toEqual([
    "sending",
  ]);
});

it("names only states the database accepts", () => {
  expect(Object.keys(REQUEST_MOVES).sort()).toEqual([...DARAJA_REQUEST_STATES].sort());
  for (const moves of Object.values(REQUEST_MOVES))
    for (const to of moves) expect(DARAJA_REQUEST_STATES).toContain(to);
});
