// Which buttons a person sees: the pure table behind both the forms and the domain's refusals.
import { actionsFor, EXCEPTION_TYPE_LIST, TYPE_ACTIONS, TYPE_DESCRIPTIONS } from "./actions";

const finance = { userId: "u1", canResolve: true };

describe("actionsFor", () => {
  it("offers nothing to roles that may not resolve", () => {
    expect(
      actionsFor(
        { type: "late_success", status: "open", proposedByUserId: null },
        { userId: "u1", canResolve: false },
      ),
    ).toEqual([]);
  });

  it("offers the type's actions on an open exception", () => {
    expect(
      actionsFor({ type: "late_success", status: "open", proposedByUserId: null }, finance),
    ).toEqual(["accept_paid", "mark_refunded", "write_off"]);
    expect(
      actionsFor({ type: "orphan_callback", status: "open", proposedByUserId: null }, finance),
    ).toEqual(["link_to_payment", "not_ours"]);
    expect(
      actionsFor({ type: "statement_only", status: "open", proposedByUserId: null }, finance),
    ).toEqual(["acknowledge", "write_off"]);
  });

  it("hides re-query when M-Pesa never gave us a CheckoutRequestID", () => {
    expect(
      actionsFor(
        { type: "conflicting_callback", status: "open", proposedByUserId: null, canQuery: false },
        finance,
      ),
    ).toEqual(["choose_outcome"]);
  });

  it("fits unknown_outcome's actions to the payment's status", () => {
    const unknown = actionsFor(
      {
        type: "unknown_outcome",
        status: "open",
        proposedByUserId: null,
        paymentStatus: "unknown",
        canQuery: true,
      },
      finance,
    );
    expect(unknown).toEqual(["requery", "mark_expired", "mark_paid_offline"]);
    const paid = actionsFor(
      {
        type: "unknown_outcome",
        status: "open",
        proposedByUserId: null,
        paymentStatus: "paid",
        canQuery: false,
      },
      finance,
    );
    expect(paid).toEqual(["acknowledge"]);
  });

  it("lets a second user approve a proposal and the proposer only withdraw it", () => {
    const x = {
      type: "unknown_outcome" as const,
      status: "awaiting_approval" as const,
      proposedByUserId: "u1",
    };
    expect(actionsFor(x, finance)).toEqual(["reject"]);
    expect(actionsFor(x, { userId: "u2", canResolve: true })).toEqual(["approve", "reject"]);
  });

  it("offers only reopen on a resolved exception", () => {
    expect(
      actionsFor({ type: "double_payment", status: "resolved", proposedByUserId: null }, finance),
    ).toEqual(["reopen"]);
  });

  it("describes every type in plain words and gives every type at least two ways out", () => {
    for (const type of EXCEPTION_TYPE_LIST) {
      expect(TYPE_DESCRIPTIONS[type].plain.length).toBeGreaterThan(40);
      expect(TYPE_ACTIONS[type].length).toBeGreaterThanOrEqual(2);
    }
    expect(TYPE_DESCRIPTIONS.late_success.plain).toMatch(/most urgent/);
  });
});
