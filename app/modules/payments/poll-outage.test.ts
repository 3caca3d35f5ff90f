// Which STK Query answers say Daraja (or our access to it) is failing rather than anything about the
// payment, how long a Retry-After asks us to wait, and how much give-up time an outage pause gives
// back. The poller pauses on the first and never lets the last use up a payment's give-up time.
import { bindQueryAnswer } from "../daraja/client.server";
import {
  classifyDarajaFailure,
  classifyQueryResponse,
  isDarajaDown,
  isDarajaUnavailable,
  transportError,
  type QueryAnswer,
} from "../daraja/errors";
import { outagePauseS, RETRY_AFTER_MAX_MS, retryAfterMs } from "./poll-schedule";

const envelope = (errorCode: string, errorMessage: string) => ({
  requestId: "a1b2-c3d4",
  errorCode,
  errorMessage,
});
const HTML = {
  unparsed: "<!DOCTYPE html>\n<html><head><title>Service Temporarily Unavailable</title></head>",
};
const failed = (error: ReturnType<typeof transportError>): QueryAnswer => ({
  kind: "error",
  error,
});

describe("answers that say Daraja, or our access to it, is failing", () => {
  // The third column: M-Pesa itself is down (its time is given back to the give-up), rather than
  // refusing our credentials or configuration (a pause, but the time counts: ours to fix).
  it.each<[string, QueryAnswer, boolean]>([
    [
      "HTTP 500 500.003.1001 Internal Server Error",
      classifyQueryResponse(500, envelope("500.003.1001", "Internal Server Error")),
      true,
    ],
    ["an empty 503 from the gateway", classifyQueryResponse(503, null), true],
    [
      "a gateway's JSON fault on a 502",
      classifyQueryResponse(502, {
        fault: { faultstring: "Bad Gateway", detail: { errorcode: "messaging.adaptors.http" } },
      }),
      true,
    ],
    ["an HTML gateway page with HTTP 200", classifyQueryResponse(200, HTML), true],
    ["an HTML page with HTTP 404", classifyQueryResponse(404, HTML), true],
    ["plain text with HTTP 200", classifyQueryResponse(200, { unparsed: "upstream reset" }), true],
    ["an empty HTTP 200", classifyQueryResponse(200, null), true],
    [
      "wrong credentials",
      classifyQueryResponse(
        500,
        envelope("500.001.1001", "[MerchantValidate] - Wrong credentials"),
      ),
      false,
    ],
    [
      "an unknown shortcode",
      classifyQueryResponse(500, envelope("500.001.1001", "Merchant does not exist")),
      false,
    ],
    [
      "a token refused after its refresh",
      classifyQueryResponse(404, envelope("404.001.03", "Invalid Access Token")),
      false,
    ],
    ["a 401 without a code", classifyQueryResponse(401, null), false],
    [
      "an invalid authentication header",
      classifyQueryResponse(404, envelope("404.001.04", "Invalid Authentication Header")),
      false,
    ],
    ["a network failure", failed(transportError("query", { code: "ECONNRESET" }, false)), true],
    ["our own time limit", failed(transportError("query", new Error("timeout"), true)), true],
    ["OAuth answering 503", failed(classifyDarajaFailure("oauth", 503, null)), true],
    ["OAuth refusing our consumer keys", failed(classifyDarajaFailure("oauth", 400, null)), false],
  ])("%s", (_name, answer, down) => {
    expect(answer.kind).toBe("error");
    expect(isDarajaUnavailable(answer)).toBe(true);
    expect(isDarajaDown(answer)).toBe(down);
  });
});

describe("answers about the payment, which never pause the sweep as an outage", () => {
  it.each<[string, QueryAnswer]>([
    [
      "2026 still processing: HTTP 200 ResultCode 4999",
      classifyQueryResponse(200, {
        ResultCode: "4999",
        ResultDesc: "The transaction is still under processing",
      }),
    ],
    [
      "classic still processing: HTTP 500 500.001.1001",
      classifyQueryResponse(500, envelope("500.001.1001", "The transaction is being processed")),
    ],
    [
      "HTTP 500 500.001.1001 does not exist",
      classifyQueryResponse(500, envelope("500.001.1001", "The transaction does not Exist")),
    ],
    [
      "a 500.001.1001 text we do not know (still unknown on a query)",
      classifyQueryResponse(500, envelope("500.001.1001", "Something else")),
    ],
    [
      "asked too early: 400 Invalid CheckoutRequestID",
      classifyQueryResponse(400, envelope("400.002.02", "Bad Request - Invalid CheckoutRequestID")),
    ],
    [
      "another invalid field",
      classifyQueryResponse(400, envelope("400.002.02", "Bad Request - Invalid Timestamp")),
    ],
    ["an HTTP 200 JSON without ResultCode", classifyQueryResponse(200, { ResponseCode: "0" })],
    [
      "a final answer",
      classifyQueryResponse(200, { ResultCode: "1032", ResultDesc: "Request cancelled by user" }),
    ],
    [
      "a final answer for another CheckoutRequestID",
      bindQueryAnswer("ws_CO_ours", {
        kind: "final",
        resultCode: "0",
        resultDesc: "ok",
        checkoutRequestId: "ws_CO_theirs",
      }),
    ],
    [
      "a Spike Arrest (a rate limit: it pauses as one)",
      classifyQueryResponse(500, envelope("500.003.02", "Error Occurred: Spike Arrest Violation")),
    ],
  ])("%s", (_name, answer) => {
    expect(isDarajaUnavailable(answer)).toBe(false);
  });
});

describe("Retry-After", () => {
  const now = new Date("2026-05-01T09:00:00.000Z");
  const down = (retryAfter?: string) =>
    classifyQueryResponse(500, envelope("500.003.1001", "Internal Server Error"), retryAfter);

  it("is kept on a failing or rate-limited answer, as sent", () => {
    expect(down("120")).toMatchObject({ kind: "error", retryAfter: "120", unavailable: true });
    expect(classifyQueryResponse(429, null, "12")).toEqual({
      kind: "rate_limited",
      retryAfter: "12",
    });
    expect(down(undefined)).not.toHaveProperty("retryAfter");
  });

  it("is read as seconds or an HTTP date, never below zero and at most ten minutes", () => {
    expect(retryAfterMs(down("120"), now)).toBe(120_000);
    expect(retryAfterMs(down(" 30 "), now)).toBe(30_000);
    const inTwoMinutes = new Date(now.getTime() + 120_000).toUTCString();
    expect(retryAfterMs(down(inTwoMinutes), now)).toBe(120_000);
    expect(retryAfterMs(down("Wed, 01 Apr 2026 08:00:00 GMT"), now)).toBe(0);
    expect(retryAfterMs(down("86400"), now)).toBe(RETRY_AFTER_MAX_MS);
    expect(RETRY_AFTER_MAX_MS).toBe(600_000);
    expect(retryAfterMs(down("soon"), now)).toBeNull();
    expect(retryAfterMs(down(), now)).toBeNull();
    expect(retryAfterMs({ kind: "processing" }, now)).toBeNull();
  });
});

describe("the give-up time an outage pause gives back", () => {
  const at = (s: number) => new Date(Date.UTC(2026, 4, 1, 9, 0, s));

  it("runs from the failed query to the end of the pause, and no further back", () => {
    expect(outagePauseS({ failedQueryAt: at(0), until: at(15) })).toBe(15);
    // The time between two pauses, when a query could have been answered, is not given back.
    expect(outagePauseS({ failedQueryAt: at(40), until: at(70) })).toBe(30);
  });
});
