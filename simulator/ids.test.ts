import { describe, expect, it } from "vitest";
import { eatTimestamp, parseEatTimestamp } from "./clock";
import {
  createRng,
  makeAccessToken,
  makeCheckoutRequestId,
  makeMerchantRequestId,
  makeReceipt,
} from "./ids";
import { expectedPassword } from "./validation";
import { SANDBOX_PASSKEY } from "./options";

// 10:15:12.345 in Nairobi is 07:15:12.345 UTC.
const AT = Date.parse("2025-03-14T07:15:12.345Z");

describe("EAT clock", () => {
  it("formats timestamps in Nairobi time", () => {
    expect(eatTimestamp(AT)).toBe("20250314101512");
    expect(eatTimestamp(Date.parse("2025-12-31T22:00:00Z"))).toBe("20260101010000");
  });

  it("parses only real calendar moments", () => {
    expect(parseEatTimestamp("20250314101512")).toBe(AT - 345);
    expect(parseEatTimestamp("20250231101512")).toBeNull();
    expect(parseEatTimestamp("20250314251512")).toBeNull();
    expect(parseEatTimestamp("2025-03-14 10:15")).toBeNull();
  });
});

describe("IDs", () => {
  it("builds CheckoutRequestIDs with the EAT clock and the payer's 9 local digits", () => {
    expect(makeCheckoutRequestId(AT, "254712345678")).toBe("ws_CO_14032025101512345712345678");
  });

  it("builds MerchantRequestIDs in the 2024+ shape and 28-character tokens", () => {
    const rng = createRng("x");
    expect(makeMerchantRequestId(rng)).toMatch(
      /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d{7}$/,
    );
    expect(makeAccessToken(rng)).toMatch(/^[A-Za-z0-9]{28}$/);
  });

  it("encodes the receipt date as year, month and day letters", () => {
    const rng = createRng("x");
    expect(makeReceipt(rng, AT)).toMatch(/^TC[E][A-Z0-9]{7}$/);
    expect(makeReceipt(rng, Date.parse("2026-01-31T12:00:00Z"))).toMatch(/^UAV[A-Z0-9]{7}$/);
    expect(makeReceipt(rng, Date.parse("2024-10-05T12:00:00Z"))).toMatch(/^SJ5[A-Z0-9]{7}$/);
  });

  it("replays the same sequence for the same seed", () => {
    const a = createRng("seed-1");
    const b = createRng("seed-1");
    expect([makeReceipt(a, AT), makeAccessToken(a)]).toEqual([
      makeReceipt(b, AT),
      makeAccessToken(b),
    ]);
    expect(makeAccessToken(createRng("seed-2"))).not.toBe(makeAccessToken(createRng("seed-1")));
  });

  it("matches the documented sandbox password example", () => {
    expect(expectedPassword("174379", SANDBOX_PASSKEY, "20250314101512")).toBe(
      "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjUwMzE0MTAxNTEy",
    );
  });
});
