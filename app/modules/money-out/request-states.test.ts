// The initiator request's transition table: what a request may become from each state.
import { DARAJA_REQUEST_STATES } from "../../../db/schema";
import { canMoveRequest, REQUEST_MOVES, wasSent } from "./request-states";

it("ends a request only once: nothing leaves completed, failed or rejected", () => {
  for (const end of ["completed", "failed", "rejected"] as const)
    for (const to of DARAJA_REQUEST_STATES) expect(canMoveRequest(end, to)).toBe(false);
});

it("sends a reversal only after a second user's decision, and never asks for one again", () => {
  expect(REQUEST_MOVES.awaiting_approval).toEqual(["sending", "rejected"]);
  for (const from of DARAJA_REQUEST_STATES)
    expect(canMoveRequest(from, "awaiting_approval")).toBe(false);
  // Only an approval (or a new request) puts a request on its way.
  const toSending = DARAJA_REQUEST_STATES.filter((from) => canMoveRequest(from, "sending"));
  expect(toSending).toEqual(["awaiting_approval"]);
});

it("applies M-Pesa's answer to every request that left, however long it took", () => {
  for (const from of DARAJA_REQUEST_STATES.filter(wasSent)) {
    const open = REQUEST_MOVES[from].length > 0;
    if (!open) continue;
    expect(canMoveRequest(from, "completed")).toBe(true);
    expect(canMoveRequest(from, "failed")).toBe(true);
  }
  // …but not to one that never left.
  expect(canMoveRequest("awaiting_approval", "completed")).toBe(false);
  expect(wasSent("awaiting_approval")).toBe(false);
  expect(wasSent("rejected")).toBe(false);
});

it("lets finance record no answer only for a request on its way, and a timeout only once", () => {
  expect(DARAJA_REQUEST_STATES.filter((from) => canMoveRequest(from, "unanswered"))).toEqual([
    "sending",
    "sent",
  ]);
  expect(canMoveRequest("timed_out", "timed_out")).toBe(false);
  expect(canMoveRequest("sent", "sending")).toBe(false);
});

it("names only states the database accepts", () => {
  expect(Object.keys(REQUEST_MOVES).sort()).toEqual([...DARAJA_REQUEST_STATES].sort());
  for (const moves of Object.values(REQUEST_MOVES))
    for (const to of moves) expect(DARAJA_REQUEST_STATES).toContain(to);
});
