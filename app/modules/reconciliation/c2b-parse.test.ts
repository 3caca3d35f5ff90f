import { describe, expect, it } from "vitest";
import {
  normalizeBillRef,
  parseC2bConfirmation,
  readMsisdnWitness,
  type C2bConfirmation,
} from "./c2b-parse";

// The official example (docs/daraja.md#c2b-confirmation), verbatim.
const OFFICIAL = {
  TransactionType: "Pay Bill",
  TransID: "RKL51ZDR4F",
  TransTime: "20231121121325",
  TransAmount: "5.00",
  BusinessShortCode: "600966",
  BillRefNumber: "Sample Transaction",
  InvoiceNumber: "",
  OrgAccountBalance: "25.00",
  ThirdPartyTransID: "",
  MSISDN: "2547 ***** 126",
  FirstName: "NICHOLAS",
  MiddleName: "",
  LastName: "",
};
const HASH = "7132104d6aae9c3fac82095a42c2817952bca48e09d98d5bf4ac08218982fb90";

function parsed(body: Record<string, unknown>): C2bConfirmation {
  const result = parseC2bConfirmation(JSON.stringify(body));
  if (!result.ok) throw new Error(`expected a confirmation, got: ${result.reason}`);
  return result.value;
}
const reason = (body: string) => {
  const result = parseC2bConfirmation(body);
  expect(result.ok).toBe(false);
  return result.ok ? "" : result.reason;
};

describe("parseC2bConfirmation", () => {
  it("reads the official example: EAT time, whole shillings, masked MSISDN", () => {
    expect(parsed(OFFICIAL)).toEqual({
      transId: "RKL51ZDR4F",
      transactionAt: new Date("2023-11-21T09:13:25Z"),
      amountKes: 5,
      transactionType: "Pay Bill",
      billRefRaw: "Sample Transaction",
      billRefNorm: "SAMPLE TRANSACTION",
      msisdn: { kind: "masked", raw: "2547 ***** 126", maskedPrefix: "2547", maskedSuffix: "126" },
      phone: null,
      phoneKind: "masked",
      payerName: "NICHOLAS",
      businessShortCode: "600966",
      thirdPartyTransId: null,
      invoiceNumber: null,
      orgAccountBalance: "25.00",
    });
  });

  it.each([
    ["a plain 2547… number", "254708374149", { kind: "plain", plain: "254708374149" }],
    ["a plain 2541… number", "254110345678", { kind: "plain", plain: "254110345678" }],
    ["a local 07… number", "0712345678", { kind: "plain", plain: "254712345678" }],
    ["a SHA-256 hash", HASH, { kind: "hashed", hash: HASH }],
    ["an upper-case hash", HASH.toUpperCase(), { kind: "hashed", hash: HASH }],
    [
      "a hash truncated to 62 characters",
      HASH.slice(0, 62),
      { kind: "hashed", hash: HASH.slice(0, 62) },
    ],
    ["an empty MSISDN", "", { kind: "unknown", raw: "" }],
  ])("reads %s", (_, MSISDN, msisdn) => {
    expect(parsed({ ...OFFICIAL, MSISDN }).msisdn).toMatchObject({ raw: MSISDN, ...msisdn });
  });

  it("reads an absent MSISDN as unknown", () => {
    const { MSISDN: _, ...body } = OFFICIAL;
    expect(parsed(body).msisdn).toEqual({ kind: "unknown", raw: "" });
  });

  // Only a whole number becomes `phone`; every record says which kind of number it carried.
  it.each([
    ["254708374149", "254708374149", "full"],
    ["0722000***", null, "masked"],
    ["254708***430", null, "masked"],
    ["2547 ***** 126", null, "masked"],
    [HASH, null, "masked"],
    ["", null, "absent"],
    [undefined, null, "absent"],
  ])("MSISDN %j gives phone %j, kind %s", (MSISDN, phone, phoneKind) => {
    const { MSISDN: _, ...rest } = OFFICIAL;
    const c = parsed(MSISDN === undefined ? rest : { ...rest, MSISDN });
    expect({ phone: c.phone, phoneKind: c.phoneKind }).toEqual({ phone, phoneKind });
  });

  it("accepts the missing names real payloads have, and joins the ones present", () => {
    const { MiddleName: _m, LastName: _l, ...body } = OFFICIAL;
    expect(parsed(body).payerName).toBe("NICHOLAS");
    expect(
      parsed({ ...OFFICIAL, FirstName: "JOHN", MiddleName: " ", LastName: "DOE " }).payerName,
    ).toBe("JOHN DOE");
    expect(parsed({ ...OFFICIAL, FirstName: "" }).payerName).toBeNull();
  });

  it.each(["Pay Bill", "Buy Goods", "", "CustomerPayBillOnline"])(
    "accepts TransactionType %j",
    (TransactionType) => {
      expect(parsed({ ...OFFICIAL, TransactionType }).transactionType).toBe(TransactionType);
    },
  );

  it("ignores extra keys and tolerates numbers where strings are documented", () => {
    const value = parsed({
      ...OFFICIAL,
      ProxyTrace: "abc",
      TransAmount: 1250,
      TransTime: 20231121121325,
      BusinessShortCode: 600966,
    });
    expect(value).toMatchObject({
      amountKes: 1250,
      transactionAt: new Date("2023-11-21T09:13:25Z"),
      businessShortCode: "600966",
    });
    expect(value).not.toHaveProperty("ProxyTrace");
  });

  it.each([
    ["5.00", 5],
    ["1250", 1250],
    ["1,250.00", 1250],
    ["250000.0", 250_000],
  ])("reads TransAmount %j as %i shillings", (TransAmount, kes) => {
    expect(parsed({ ...OFFICIAL, TransAmount }).amountKes).toBe(kes);
  });

  it("keeps the customer's account reference raw and normalises a copy for matching", () => {
    const value = parsed({ ...OFFICIAL, BillRefNumber: "  inv   10023 " });
    expect(value.billRefRaw).toBe("  inv   10023 ");
    expect(value.billRefNorm).toBe("INV 10023");
    const { BillRefNumber: _, ...tillPayment } = OFFICIAL;
    expect(parsed(tillPayment)).toMatchObject({ billRefRaw: "", billRefNorm: "" });
  });

  it("keeps the optional references when present", () => {
    const value = parsed({
      ...OFFICIAL,
      ThirdPartyTransID: "tp-1",
      InvoiceNumber: "INV9",
      OrgAccountBalance: "",
    });
    expect(value).toMatchObject({
      thirdPartyTransId: "tp-1",
      invoiceNumber: "INV9",
      orgAccountBalance: null,
    });
  });

  it("refuses what is not a confirmation, saying why", () => {
    expect(reason("{not json")).toMatch(/^body is not JSON: /);
    expect(reason("[]")).toBe("body is not a JSON object");
    expect(reason("null")).toBe("body is not a JSON object");
    const { TransID: _, ...noId } = OFFICIAL;
    expect(reason(JSON.stringify(noId))).toMatch(/^TransID: /);
    expect(reason(JSON.stringify({ ...OFFICIAL, TransID: "RKL 51" }))).toBe(
      'TransID "RKL 51" is not a receipt number',
    );
    expect(reason(JSON.stringify({ ...OFFICIAL, TransTime: "2023-11-21 12:13:25" }))).toBe(
      'TransTime "2023-11-21 12:13:25" is not YYYYMMDDHHmmss',
    );
    expect(reason(JSON.stringify({ ...OFFICIAL, TransAmount: "5.50" }))).toBe(
      'TransAmount: amount "5.50" is not whole shillings',
    );
    expect(reason(JSON.stringify({ ...OFFICIAL, TransAmount: "0.00" }))).toBe(
      'TransAmount "0.00" is not a positive amount',
    );
    expect(reason(JSON.stringify({ ...OFFICIAL, BusinessShortCode: " " }))).toBe(
      "BusinessShortCode is empty",
    );
    expect(reason(JSON.stringify({ ...OFFICIAL, MSISDN: { n: 1 } }))).toMatch(/^MSISDN: /);
  });
});

describe("readMsisdnWitness", () => {
  it.each([
    ["2547 ***** 126", "2547", "126"],
    ["2547****5678", "2547", "5678"],
    ["254712***678", "254712", "678"],
    ["0712***678", "254712", "678"],
    ["2547XXXXX126", "2547", "126"],
    ["*****5678", "", "5678"],
  ])("reads the masked form %j", (raw, maskedPrefix, maskedSuffix) => {
    expect(readMsisdnWitness(raw)).toEqual({ kind: "masked", raw, maskedPrefix, maskedSuffix });
  });

  it.each(["*****", "hello", "2547-", "12345678901234****1"])("reads %j as unknown", (raw) => {
    expect(readMsisdnWitness(raw)).toEqual({ kind: "unknown", raw });
  });

  it("reads a JSON number and ignores other types", () => {
    expect(readMsisdnWitness(254712345678)).toEqual({
      kind: "plain",
      raw: "254712345678",
      plain: "254712345678",
    });
    expect(readMsisdnWitness(null)).toEqual({ kind: "unknown", raw: "" });
  });
});

describe("normalizeBillRef", () => {
  it("trims, upper-cases and collapses spaces", () => {
    expect(normalizeBillRef("\t acc  no\u00a0 7 ")).toBe("ACC NO 7");
  });
});

describe("parseC2bConfirmation: text PostgreSQL cannot store", () => {
  it("turns an escaped NUL or lone surrogate into U+FFFD", () => {
    const body = JSON.stringify({ ...OFFICIAL, FirstName: "NICH\u0000OLAS", LastName: "X\ud800" });
    const result = parseC2bConfirmation(body);
    if (!result.ok) throw new Error(result.reason);
    expect(result.value.payerName).toMatch(/^NICH\uFFFDOLAS/);
    expect(result.value.payerName).toContain("X\uFFFD");
  });
});
