// The pure matching rules: reference comparison, the time window, and when candidates give one proposal.
import {
  candidateEvidence,
  compactRef,
  inCandidateWindow,
  pickC2bCandidate,
  pickCandidate,
  refMatches,
  withinTolerance,
  type CandidateEvidence,
} from "./match-rules";

const at = new Date("2025-03-14T07:15:39Z");
const minutes = (n: number) => new Date(at.getTime() + n * 60_000);
const payment = {
  id: "p1",
  amountKes: 1250,
  accountReference: "INV10023",
  orderRef: "INV-10023",
  createdAt: minutes(-2),
};
const ev = (over: Partial<CandidateEvidence>): CandidateEvidence => ({
  paymentId: "p",
  amount: true,
  accountRef: true,
  phone: true,
  inWindow: true,
  minutesAfterRequest: 1,
  ...over,
});

describe("account references", () => {
  it.each([" inv 10023 ", "Inv-10023", "INV10023", "inv.10023"])(
    "%j is the reference INV10023",
    (typed) => {
      expect(compactRef(typed)).toBe("INV10023");
      expect(refMatches(typed, payment)).toBe(true);
    },
  );
  it("says nothing when the witness has no reference, and no when it differs", () => {
    expect(refMatches("  ", payment)).toBeNull();
    expect(refMatches(null, payment)).toBeNull();
    expect(refMatches("INV-10024", payment)).toBe(false);
  });
});

describe("time", () => {
  it("tolerates five minutes either way", () => {
    expect(withinTolerance(minutes(5), at)).toBe(true);
    expect(withinTolerance(minutes(-5), at)).toBe(true);
    expect(withinTolerance(minutes(5.1), at)).toBe(false);
  });
  it("lets money arrive from just before the request to a day after it", () => {
    expect(inCandidateWindow(minutes(-4), at)).toBe(true);
    expect(inCandidateWindow(minutes(-6), at)).toBe(false);
    expect(inCandidateWindow(minutes(24 * 60), at)).toBe(true);
    expect(inCandidateWindow(minutes(24 * 60 + 1), at)).toBe(false);
  });
});

describe("choosing a candidate", () => {
  it("records what agreed", () => {
    expect(candidateEvidence({ amountKes: 1250, at, ref: "inv 10023" }, payment, null)).toEqual({
      paymentId: "p1",
      amount: true,
      accountRef: true,
      phone: null,
      inWindow: true,
      minutesAfterRequest: 2,
    });
  });
  it("needs the amount, the window and one agreeing witness", () => {
    expect(pickCandidate([ev({ amount: false })]).chosen).toBeNull();
    expect(pickCandidate([ev({ inWindow: false })]).chosen).toBeNull();
    expect(pickCandidate([ev({ accountRef: null, phone: null })]).chosen).toBeNull();
    expect(pickCandidate([ev({ accountRef: false, phone: true })]).chosen?.paymentId).toBe("p");
  });
  it("narrows several to the one where reference and phone both agree, else proposes nothing", () => {
    expect(
      pickCandidate([ev({ paymentId: "a", phone: false }), ev({ paymentId: "b" })]).chosen
        ?.paymentId,
    ).toBe("b");
    const tie = pickCandidate([ev({ paymentId: "a" }), ev({ paymentId: "b" })]);
    expect(tie.chosen).toBeNull();
    expect(tie.eligible.map((e) => e.paymentId)).toEqual(["a", "b"]);
  });
  it("for C2B insists on the BillRefNumber, and lets the phone break a tie", () => {
    expect(pickC2bCandidate([ev({ accountRef: null })]).chosen).toBeNull();
    expect(
      pickC2bCandidate([ev({ paymentId: "a", phone: false }), ev({ paymentId: "b", phone: true })])
        .chosen?.paymentId,
    ).toBe("b");
    expect(
      pickC2bCandidate([ev({ paymentId: "a", phone: null }), ev({ paymentId: "b", phone: null })])
        .chosen,
    ).toBeNull();
  });
});
