import { describe, expect, it } from "vitest";
import { stkCredentials, stkPassword } from "./password";

// Safaricom's public sandbox shortcode and passkey (docs/daraja.md#stk-push-request).
const SHORTCODE = "174379";
const PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";
const SPEC_PASSWORD =
  "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjUwMzE0MTAxNTEy";

describe("stkPassword", () => {
  it("matches the docs/daraja.md#stk-push-request test vector", () => {
    expect(stkPassword(SHORTCODE, PASSKEY, "20250314101512")).toBe(SPEC_PASSWORD);
  });

  it("treats a numeric shortcode like its text", () => {
    expect(stkPassword(174379, PASSKEY, "20250314101512")).toBe(SPEC_PASSWORD);
  });

  it("decodes to the plain concatenation, without separators", () => {
    expect(atob(stkPassword(SHORTCODE, PASSKEY, "20210628092408"))).toBe(
      `174379${PASSKEY}20210628092408`,
    );
  });

  it("changes when any part changes", () => {
    const base = stkPassword(SHORTCODE, PASSKEY, "20250314101512");
    expect(stkPassword(SHORTCODE, PASSKEY, "20250314101513")).not.toBe(base);
    expect(stkPassword("600999", PASSKEY, "20250314101512")).not.toBe(base);
    expect(stkPassword(SHORTCODE, `${PASSKEY.slice(0, -1)}0`, "20250314101512")).not.toBe(base);
  });

  it("encodes non-ASCII passkeys as UTF-8 rather than throwing like bare btoa", () => {
    expect(atob(stkPassword("1", "é", "20250314101512"))).toBe("1\u00c3\u00a920250314101512");
  });

  it.each(["2025-03-14T10:15:12", "2025031410151", "202503141015120", "", "Fri Mar 14 2025"])(
    "refuses the malformed timestamp %j",
    (timestamp) => {
      expect(() => stkPassword(SHORTCODE, PASSKEY, timestamp)).toThrow(RangeError);
    },
  );
});

describe("stkCredentials", () => {
  it("derives Password and Timestamp from the same EAT instant", () => {
    expect(stkCredentials(SHORTCODE, PASSKEY, new Date("2025-03-14T07:15:12.999Z"))).toEqual({
      timestamp: "20250314101512",
      password: SPEC_PASSWORD,
    });
  });
});
