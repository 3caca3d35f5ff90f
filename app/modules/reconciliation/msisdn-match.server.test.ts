import { describe, expect, it } from "vitest";
import { readMsisdnWitness } from "./c2b-parse";
import { msisdnMatches, sha256Msisdn } from "./msisdn-match.server";
import { parseOtherPartyInfo } from "./other-party";

const PHONE = "254712345678";
const HASH = "7132104d6aae9c3fac82095a42c2817952bca48e09d98d5bf4ac08218982fb90";

describe("sha256Msisdn", () => {
  it("matches the published vector (docs/daraja.md#c2b-confirmation)", () => {
    expect(sha256Msisdn(PHONE)).toBe(HASH);
  });
});

describe("msisdnMatches", () => {
  it("compares plain numbers after normalisation", () => {
    expect(msisdnMatches(PHONE, readMsisdnWitness("0712345678"))).toBe(true);
    expect(msisdnMatches(PHONE, readMsisdnWitness("254712345679"))).toBe(false);
  });

  it("matches a masked number on its visible prefix and suffix", () => {
    expect(msisdnMatches("254712345126", readMsisdnWitness("2547 ***** 126"))).toBe(true);
    expect(msisdnMatches("254112345126", readMsisdnWitness("2547 ***** 126"))).toBe(false);
    expect(msisdnMatches("254712345127", readMsisdnWitness("2547 ***** 126"))).toBe(false);
    expect(msisdnMatches(PHONE, parseOtherPartyInfo("2547****5678 - JANE DOE").msisdn)).toBe(true);
  });

  it("matches a hashed number by hashing the candidate, in any case, truncated to no fewer than 40 characters", () => {
    expect(msisdnMatches(PHONE, readMsisdnWitness(HASH))).toBe(true);
    expect(
      msisdnMatches(PHONE, { kind: "hashed", raw: HASH.toUpperCase(), hash: HASH.toUpperCase() }),
    ).toBe(true);
    expect(msisdnMatches(PHONE, readMsisdnWitness(HASH.slice(0, 62)))).toBe(true);
    expect(msisdnMatches(PHONE, readMsisdnWitness(HASH.slice(0, 40)))).toBe(true);
    expect(msisdnMatches(PHONE, { kind: "hashed", raw: "", hash: HASH.slice(0, 39) })).toBe(false);
    expect(msisdnMatches("254712345679", readMsisdnWitness(HASH))).toBe(false);
  });

  it("re-derives the parts of a witness read back from the ledger as kind + raw", () => {
    expect(msisdnMatches(PHONE, { kind: "plain", raw: "254712345678" })).toBe(true);
    expect(msisdnMatches("254712345126", { kind: "masked", raw: "2547 ***** 126" })).toBe(true);
    expect(msisdnMatches(PHONE, { kind: "hashed", raw: HASH })).toBe(true);
  });

  it("never matches an unknown witness or a phone that is not normalised", () => {
    expect(msisdnMatches(PHONE, readMsisdnWitness(""))).toBe(false);
    expect(msisdnMatches(PHONE, { kind: "unknown", raw: PHONE })).toBe(false);
    expect(msisdnMatches("0712345678", readMsisdnWitness(PHONE))).toBe(false);
    expect(msisdnMatches("0712345678", readMsisdnWitness("2547****5678"))).toBe(false);
  });
});
