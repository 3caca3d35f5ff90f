import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSimulator } from "./server";
import { TEST_PHONE } from "./outcomes";
import { startHarness, waitFor, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ promptTimeoutMs: 5000 });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const PHONE = "254712345678";

async function openPrompt(amount: number | string = "1250") {
  const res = await h.push({ PhoneNumber: PHONE, PartyA: PHONE, Amount: amount });
  expect(res.status).toBe(200);
  return res.json.CheckoutRequestID as string;
}

async function callbackOf(id: string) {
  const [cb] = await waitFor(() => h.callbacksFor(id).length > 0 && h.callbacksFor(id));
  return cb.json.Body.stkCallback;
}

describe("virtual handset JSON", () => {
  it("shows the pending prompt under any spelling of the number", async () => {
    const id = await openPrompt();
    for (const spelling of ["254712345678", "0712345678", "%2B254712345678"]) {
      const view = (await h.control(`handset/${spelling}`)).json;
      expect(view.prompt).toMatchObject({
        checkoutRequestId: id,
        amount: 1250,
        accountReference: "INV-1001",
        message: "Pay KES 1,250 to SIMULATED MERCHANT account INV-1001? Enter M-PESA PIN",
      });
      expect(view.prompt.secondsLeft).toBeGreaterThan(0);
    }
  });

  it("rejects a number that is not a Kenyan mobile", async () => {
    const res = await h.control("handset/12345");
    expect(res.status).toBe(400);
  });
});

describe("virtual handset actions", () => {
  it("pays with PIN 1234", async () => {
    const id = await openPrompt();
    const res = await h.control(`handset/${PHONE}/pay`, { pin: "1234" });
    expect(res.status).toBe(200);
    expect(res.json.prompt).toMatchObject({ status: "paid", resultCode: 0 });
    const cb = await callbackOf(id);
    expect(cb.ResultCode).toBe(0);
    expect(cb.CallbackMetadata.Item[0]).toEqual({ Name: "Amount", Value: 1250 });
    const view = (await h.control(`handset/${PHONE}`)).json;
    expect(view.prompt).toBeNull();
    expect(view.last).toMatchObject({
      status: "paid",
      resultCode: 0,
      receipt: cb.CallbackMetadata.Item[1].Value,
    });
  });

  it.each([
    ["pay", { pin: "0000" }, 2001, "The initiator information is invalid."],
    ["cancel", {}, 1032, "Request Cancelled by user."],
    ["timeout", {}, 1037, "No response from user."],
  ])("%s settles with %i", async (action, body, code, desc) => {
    const id = await openPrompt();
    expect((await h.control(`handset/${PHONE}/${action}`, body)).status).toBe(200);
    expect(await callbackOf(id)).toEqual({
      MerchantRequestID: expect.any(String),
      CheckoutRequestID: id,
      ResultCode: code,
      ResultDesc: desc,
    });
  });

  it("answers 409 when nothing is waiting for a person", async () => {
    expect((await h.control(`handset/${PHONE}/cancel`, {})).status).toBe(409);
    await h.push({ PhoneNumber: TEST_PHONE.never, PartyA: TEST_PHONE.never });
    expect((await h.control(`handset/${TEST_PHONE.never}/pay`, { pin: "1234" })).status).toBe(409);
  });

  it("cannot act twice on one prompt", async () => {
    await openPrompt();
    await h.control(`handset/${PHONE}/cancel`, {});
    expect((await h.control(`handset/${PHONE}/pay`, { pin: "1234" })).status).toBe(409);
  });
});

describe("GET /handset", () => {
  it("serves a self-contained page listing the test numbers", async () => {
    const res = await h.call("/handset?phone=0712345678");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.text).toContain('value="254712345678"');
    expect(res.text).toContain(`<option value="${TEST_PHONE.paid}">paid</option>`);
    expect(res.text).not.toMatch(/<script[^>]+src=|<link /);
  });

  it("escapes every value it puts in HTML", async () => {
    const res = await h.call(`/handset?phone=${encodeURIComponent('"><script>alert(1)</script>')}`);
    expect(res.text).not.toContain("<script>alert(1)");
    expect(res.text).toContain("&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;");

    const sim = createSimulator({ merchantName: `Mama <Mboga> & "Sons"` });
    const { url } = await sim.listen(0);
    const page = await (await fetch(`${url}/handset`)).text();
    await sim.close();
    expect(page).toContain("Mama &#60;Mboga&#62; &#38; &#34;Sons&#34;");
  });

  it("redirects / to the handset", async () => {
    const res = await fetch(`${h.url}/`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/handset");
  });
});
