// Transaction Status, Reversal and Account Balance against the simulator over HTTP: Daraja's
// validation, the acknowledgement, and the asynchronous result on ResultURL with its quirks.
import { constants, publicEncrypt } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decryptCredential } from "./initiator-auth";
import { TEST_PHONE } from "./outcomes";
import { startHarness, waitFor, type Harness } from "./test-harness";

const cert = readFileSync(new URL("./test-initiator/test-cert.pem", import.meta.url), "utf8");
const credential = (password = "Safaricom999!*!") =>
  publicEncrypt(
    { key: cert, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(password),
  ).toString("base64");

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const hooks = (api: string) => ({
  ResultURL: `${h.receiver.url}/hooks/daraja/${api}/result/tok123`,
  QueueTimeOutURL: `${h.receiver.url}/hooks/daraja/${api}/timeout/tok123`,
});

async function paidReceipt(): Promise<{ receipt: string; amount: number }> {
  const push = await h.push({ PhoneNumber: TEST_PHONE.paid, PartyA: TEST_PHONE.paid, Amount: 150 });
  const id = push.json.CheckoutRequestID;
  const cb = await waitFor(() => h.callbacksFor(id)[0]);
  const items = cb.json.Body.stkCallback.CallbackMetadata.Item as {
    Name: string;
    Value: unknown;
  }[];
  return {
    receipt: String(items.find((i) => i.Name === "MpesaReceiptNumber")!.Value),
    amount: 150,
  };
}

const statusBody = (receipt: string, over: Record<string, unknown> = {}) => ({
  Initiator: "testapi",
  SecurityCredential: credential(),
  CommandID: "TransactionStatusQuery",
  TransactionID: receipt,
  OriginatorConversationID: "oc-status-1",
  PartyA: "174379",
  IdentifierType: "4",
  ...hooks("status"),
  Remarks: "recon",
  Occasion: "",
  ...over,
});

const resultsAt = (path: string) => h.receiver.received.filter((r) => r.path.includes(path));

describe("SecurityCredential", () => {
  it("decrypts what the test certificate encrypted, and nothing else", () => {
    expect(decryptCredential(credential("s3cret"))).toBe("s3cret");
    expect(decryptCredential("not-a-credential")).toBeNull();
    expect(decryptCredential(Buffer.alloc(256, 7).toString("base64"))).toBeNull();
  });
});

describe("POST /mpesa/transactionstatus/v1/query", () => {
  it("acknowledges, then posts a result whose receipt is ReceiptNo and TransactionID a placeholder", async () => {
    const { receipt, amount } = await paidReceipt();
    const res = await h.darajaPost("/mpesa/transactionstatus/v1/query", statusBody(receipt));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      OriginatorConversationID: "oc-status-1",
      ConversationID: expect.stringMatching(/^AG_/),
      ResponseCode: "0",
    });
    const result = await waitFor(() => resultsAt("/status/result/")[0]);
    const r = result.json.Result;
    expect(r.ResultCode).toBe(0);
    expect(r.TransactionID).toMatch(/^[A-Z0-9]{3}0000000$/);
    const params = Object.fromEntries(
      r.ResultParameters.ResultParameter.map((p: { Key: string; Value?: unknown }) => [
        p.Key,
        p.Value,
      ]),
    );
    expect(params.ReceiptNo).toBe(receipt);
    expect(params.Amount).toBe(amount);
    expect(params.TransactionStatus).toBe("Completed");
    expect(typeof params.FinalisedTime).toBe("number");
    expect("CreditPartyCharges" in params && params.CreditPartyCharges).toBeUndefined();
    expect(params.CreditPartyName).toMatch(/ {2,}$/);
  });

  it.each([
    [{ CommandID: "TransactionStatus" }, "CommandID"],
    [{ TransactionID: "x" }, "TransactionID"],
    [{ PartyA: "999999" }, "PartyA"],
    [{ ResultURL: "https://shop.example/mpesa/result" }, "ResultURL"],
    [{ Remarks: "" }, "Remarks"],
  ])("refuses %j naming the field", async (over, field) => {
    const res = await h.darajaPost(
      "/mpesa/transactionstatus/v1/query",
      statusBody("TCE4XK2P7Q", over),
    );
    expect(res.status).toBe(400);
    expect(res.json.errorMessage).toBe(`Bad Request - Invalid ${field}`);
  });

  it("answers 2001 in the result when the credential was not made with the certificate", async () => {
    const res = await h.darajaPost(
      "/mpesa/transactionstatus/v1/query",
      statusBody("TCE4XK2P7Q", { SecurityCredential: credential("wrong password") }),
    );
    expect(res.status).toBe(200);
    const result = await waitFor(() => resultsAt("/status/result/")[0]);
    expect(result.json.Result.ResultCode).toBe(2001);
  });
});

describe("POST /mpesa/reversal/v1/request", () => {
  const reversalBody = (receipt: string, amount: number, over: Record<string, unknown> = {}) => ({
    Initiator: "testapi",
    SecurityCredential: credential(),
    CommandID: "TransactionReversal",
    TransactionID: receipt,
    Amount: String(amount),
    ReceiverParty: "174379",
    RecieverIdentifierType: "11",
    ...hooks("reversal"),
    Remarks: "Payment reversal",
    Occasion: "",
    ...over,
  });

  it("reverses once: the result's TransactionID is the reversal's receipt; a second answers R000001", async () => {
    const { receipt, amount } = await paidReceipt();
    await h.darajaPost("/mpesa/reversal/v1/request", reversalBody(receipt, amount));
    const first = await waitFor(() => resultsAt("/reversal/result/")[0]);
    expect(first.json.Result.ResultCode).toBe(0);
    expect(first.json.Result.TransactionID).toMatch(/^[A-Z0-9]{10}$/);
    expect(first.json.Result.TransactionID).not.toBe(receipt);
    await h.darajaPost("/mpesa/reversal/v1/request", reversalBody(receipt, amount));
    const second = await waitFor(() => resultsAt("/reversal/result/")[1]);
    expect(second.json.Result.ResultCode).toBe("R000001");
    expect(second.json.Result.ResultParameters).toBeUndefined();
  });

  it("checks Daraja's own spelling of RecieverIdentifierType", async () => {
    const body = reversalBody("TCE4XK2P7Q", 10);
    delete (body as Record<string, unknown>).RecieverIdentifierType;
    const res = await h.darajaPost("/mpesa/reversal/v1/request", {
      ...body,
      ReceiverIdentifierType: "11",
    });
    expect(res.json.errorMessage).toBe("Bad Request - Invalid RecieverIdentifierType");
  });

  it("sends a forced timeout to QueueTimeOutURL and a forced duplicate twice", async () => {
    const { receipt, amount } = await paidReceipt();
    await h.control("next-initiator-result", { api: "reversal", outcome: "timeout" });
    await h.darajaPost("/mpesa/reversal/v1/request", reversalBody(receipt, amount));
    await waitFor(() => resultsAt("/reversal/timeout/")[0]);
    await h.control("next-initiator-result", { api: "reversal", outcome: "duplicate" });
    await h.darajaPost("/mpesa/reversal/v1/request", reversalBody(receipt, amount));
    await waitFor(() => resultsAt("/reversal/result/").length === 2);
    const [a, b] = resultsAt("/reversal/result/");
    expect(a.raw).toBe(b.raw);
  });

  it("delivers a forced result_first result before it answers the call", async () => {
    const { receipt, amount } = await paidReceipt();
    const before = resultsAt("/reversal/result/").length;
    await h.control("next-initiator-result", { api: "reversal", outcome: "result_first" });
    const res = await h.darajaPost("/mpesa/reversal/v1/request", reversalBody(receipt, amount));
    // Already there when the acknowledgement is read, and it names the acknowledged request.
    const results = resultsAt("/reversal/result/");
    expect(results).toHaveLength(before + 1);
    expect(res.json.ResponseCode).toBe("0");
    expect(results[before]!.json.Result.ConversationID).toBe(res.json.ConversationID);
    expect(results[before]!.json.Result.ResultCode).toBe(0);
  });
});

describe("POST /mpesa/accountbalance/v1/query", () => {
  it("posts the accounts as one &- and |-encoded string", async () => {
    await paidReceipt();
    await h.darajaPost("/mpesa/accountbalance/v1/query", {
      Initiator: "testapi",
      SecurityCredential: credential(),
      CommandID: "AccountBalance",
      PartyA: "174379",
      IdentifierType: "4",
      Remarks: "daily balance",
      ...hooks("balance"),
    });
    const result = await waitFor(() => resultsAt("/balance/result/")[0]);
    const [balance] = result.json.Result.ResultParameters.ResultParameter;
    expect(balance.Key).toBe("AccountBalance");
    expect(balance.Value).toContain("Utility Account|KES|150.00|150.00|0.00|0.00");
    expect(balance.Value.split("&")).toHaveLength(5);
  });
});
