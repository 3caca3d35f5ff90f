import { describe, expect, it } from "vitest";
import {
  DARAJA_MESSAGES,
  DarajaError,
  type DarajaEndpoint,
  type DarajaErrorKind,
  type QueryAnswer,
  classifyDarajaFailure,
  classifyQueryResponse,
  transportError,
} from "./errors";

const envelope = (errorCode: string, errorMessage: string, requestId = "a1b2-c3d4-e5f6") => ({
  requestId,
  errorCode,
  errorMessage,
});

type Expected = {
  kind: DarajaErrorKind;
  retryable: boolean;
  outcomeUnknown: boolean;
  field?: string;
  message: string | RegExp;
};

describe("classifyDarajaFailure", () => {
  it.each<[string, DarajaEndpoint, number, unknown, Expected]>([
    [
      "subscriber locked",
      "push",
      500,
      envelope(
        "500.001.1001",
        "Unable to lock subscriber, a transaction is already in process for the current subscriber",
      ),
      {
        kind: "subscriber_locked",
        retryable: true,
        outcomeUnknown: false,
        message: "The customer already has an M-Pesa prompt open; wait a minute and retry",
      },
    ],
    [
      "wrong credentials",
      "push",
      500,
      envelope("500.001.1001", "[MerchantValidate] - Wrong credentials"),
      {
        kind: "config",
        retryable: false,
        outcomeUnknown: false,
        message:
          "M-Pesa rejected our credentials (shortcode/passkey); an admin must check the settings",
      },
    ],
    [
      "bare wrong credentials",
      "push",
      500,
      envelope("500.001.1001", "Wrong credentials"),
      {
        kind: "config",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.credentials,
      },
    ],
    [
      "wrong credentials on a query",
      "query",
      500,
      envelope("500.001.1001", "Wrong credentials"),
      {
        kind: "config",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.credentials,
      },
    ],
    [
      "merchant does not exist",
      "push",
      500,
      envelope("500.001.1001", "Merchant does not exist"),
      {
        kind: "config",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.noMerchant,
      },
    ],
    [
      "an unknown 500.001.1001 on the push fails without charge",
      "push",
      500,
      envelope("500.001.1001", "Something new"),
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.refusedNoCharge,
      },
    ],
    [
      "an unknown 500.001.1001 on a query is still unknown",
      "query",
      500,
      envelope("500.001.1001", "Something new"),
      {
        kind: "unexpected",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.queryUnknown,
      },
    ],
    [
      "system busy",
      "push",
      500,
      envelope("500.003.02", "System is busy. Please try again in few minutes."),
      {
        kind: "busy",
        retryable: true,
        outcomeUnknown: false,
        message: "M-Pesa is busy; try again in a few minutes",
      },
    ],
    [
      "spike arrest",
      "push",
      500,
      envelope("500.003.02", "Error Occurred: Spike Arrest Violation"),
      {
        kind: "rate_limited",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.rateLimited,
      },
    ],
    [
      "quota violation",
      "query",
      500,
      envelope("500.003.03", "Quota Violation"),
      {
        kind: "rate_limited",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.rateLimited,
      },
    ],
    [
      "HTTP 429 without a body",
      "push",
      429,
      "",
      {
        kind: "rate_limited",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.rateLimited,
      },
    ],
    [
      "invalid access token (404)",
      "push",
      404,
      envelope("404.001.03", "Invalid Access Token"),
      { kind: "auth", retryable: true, outcomeUnknown: false, message: DARAJA_MESSAGES.token },
    ],
    [
      "invalid access token (401.003.01)",
      "query",
      401,
      envelope("401.003.01", "Invalid Access Token"),
      { kind: "auth", retryable: true, outcomeUnknown: false, message: DARAJA_MESSAGES.token },
    ],
    [
      "invalid access token (400.003.01)",
      "push",
      400,
      envelope("400.003.01", "Invalid Access Token"),
      { kind: "auth", retryable: true, outcomeUnknown: false, message: DARAJA_MESSAGES.token },
    ],
    [
      "product not enabled",
      "push",
      401,
      {
        fault: {
          faultstring: "Invalid API call as no apiproduct match found",
          detail: { errorcode: "keymanagement.service.InvalidAPICallAsNoApiProductMatchFound" },
        },
      },
      { kind: "config", retryable: false, outcomeUnknown: false, message: DARAJA_MESSAGES.product },
    ],
    [
      "invalid PhoneNumber",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid PhoneNumber"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        field: "PhoneNumber",
        message: "M-Pesa rejected the phone number",
      },
    ],
    [
      "invalid PartyA",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid PartyA"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        field: "PartyA",
        message: "M-Pesa rejected the phone number",
      },
    ],
    [
      "invalid Amount",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid Amount"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        field: "Amount",
        message: /amount/,
      },
    ],
    [
      "invalid Remarks (missing TransactionDesc)",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid Remarks"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        field: "Remarks",
        message: /description/,
      },
    ],
    [
      "invalid Timestamp",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid Timestamp"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        field: "Timestamp",
        message: /developers/,
      },
    ],
    [
      "invalid BusinessShortCode",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid BusinessShortCode"),
      {
        kind: "config",
        retryable: false,
        outcomeUnknown: false,
        field: "BusinessShortCode",
        message: /shortcode; an admin/,
      },
    ],
    [
      "invalid CallBackURL",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid CallBackURL"),
      {
        kind: "config",
        retryable: false,
        outcomeUnknown: false,
        field: "CallBackURL",
        message: "M-Pesa rejected our callback URL; an admin must check the settings",
      },
    ],
    [
      "invalid TransactionType",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid TransactionType"),
      {
        kind: "config",
        retryable: false,
        outcomeUnknown: false,
        field: "TransactionType",
        message: /till\/paybill/,
      },
    ],
    [
      "invalid field we have not seen",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid Occasion"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        field: "Occasion",
        message: "M-Pesa rejected the request's Occasion; tell the developers",
      },
    ],
    [
      "a field name that is also an object property",
      "push",
      400,
      envelope("400.002.02", "Bad Request - Invalid constructor"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        field: "constructor",
        message: "M-Pesa rejected the request's constructor; tell the developers",
      },
    ],
    [
      "invalid CheckoutRequestID on a query",
      "query",
      400,
      envelope("400.002.02", "Bad Request - Invalid CheckoutRequestID"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        field: "CheckoutRequestID",
        message: /request ID/,
      },
    ],
    [
      "malformed payload",
      "push",
      400,
      envelope("400.002.05", "Invalid Request Payload"),
      {
        kind: "invalid_request",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.malformed,
      },
    ],
    [
      "OAuth bad key/secret",
      "oauth",
      400,
      envelope("400.008.01", "Invalid Authentication passed"),
      {
        kind: "auth",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.consumerKeys,
      },
    ],
    [
      "OAuth bad grant type",
      "oauth",
      400,
      envelope("400.008.02", "Invalid grant type passed"),
      {
        kind: "config",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.developers,
      },
    ],
    [
      "OAuth wrong environment's keys: empty 400",
      "oauth",
      400,
      "",
      {
        kind: "auth",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.consumerKeys,
      },
    ],
    [
      "OAuth 500 without body",
      "oauth",
      503,
      "",
      {
        kind: "unexpected",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.serverError,
      },
    ],
    [
      "wrong path",
      "push",
      404,
      envelope("404.001.01", "Resource not found"),
      { kind: "config", retryable: false, outcomeUnknown: false, message: /API address/ },
    ],
    [
      "wrong method",
      "push",
      405,
      envelope("405.001", "Method Not Allowed"),
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.developers,
      },
    ],
    [
      "push 500 without a body: prompt may have gone out",
      "push",
      500,
      "",
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: true,
        message: DARAJA_MESSAGES.pushUnknown,
      },
    ],
    [
      "push 502 with a gateway HTML page",
      "push",
      502,
      "<html><body>502 Bad Gateway</body></html>",
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: true,
        message: DARAJA_MESSAGES.gatewayPagePush,
      },
    ],
    [
      "push 200 with a gateway HTML page (2026)",
      "push",
      200,
      { unparsed: "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head></html>" },
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: true,
        message: DARAJA_MESSAGES.gatewayPagePush,
      },
    ],
    [
      "query 200 with a gateway HTML page (2026)",
      "query",
      200,
      "<html><body>Service Unavailable</body></html>",
      {
        kind: "unexpected",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.gatewayPageQuery,
      },
    ],
    [
      "push internal server error",
      "push",
      500,
      envelope("500.003.1001", "Internal Server Error"),
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: true,
        message: DARAJA_MESSAGES.pushUnknown,
      },
    ],
    [
      "query internal server error",
      "query",
      500,
      envelope("500.003.1001", "Internal Server Error"),
      {
        kind: "unexpected",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.queryUnknown,
      },
    ],
    [
      "push 200 with an unusable body",
      "push",
      200,
      { hello: "world" },
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: true,
        message: DARAJA_MESSAGES.pushUnknown,
      },
    ],
    [
      "push 200 with a non-zero ResponseCode",
      "push",
      200,
      { ResponseCode: "1", ResponseDescription: "Rejected" },
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.refusedNoCharge,
      },
    ],
    [
      "push 401 without a body",
      "push",
      401,
      null,
      { kind: "auth", retryable: true, outcomeUnknown: false, message: DARAJA_MESSAGES.token },
    ],
    [
      "push 400 without a body",
      "push",
      400,
      undefined,
      {
        kind: "unexpected",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.developers,
      },
    ],
    [
      "transaction does not exist",
      "query",
      500,
      envelope("500.001.1001", "The transaction does not Exist"),
      {
        kind: "not_found",
        retryable: false,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.notFound,
      },
    ],
  ])("%s", (_name, endpoint, status, body, expected) => {
    const { message, ...rest } = expected;
    const error = classifyDarajaFailure(endpoint, status, body);
    expect(error).toBeInstanceOf(DarajaError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ ...rest, endpoint, httpStatus: status, name: "DarajaError" });
    if (typeof message === "string") expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
    if (!expected.field) expect(error.field).toBeUndefined();
  });

  it("keeps Daraja's code, text and requestId for the log", () => {
    const error = classifyDarajaFailure(
      "push",
      500,
      envelope("500.001.1001", "Wrong credentials", "16813-1590513-1"),
    );
    expect(error).toMatchObject({
      darajaErrorCode: "500.001.1001",
      darajaMessage: "Wrong credentials",
      requestId: "16813-1590513-1",
    });
  });

  it("reads a body given as JSON text the same as a parsed one", () => {
    const raw = JSON.stringify(envelope("400.002.02", "Bad Request - Invalid PhoneNumber"));
    expect(classifyDarajaFailure("push", 400, raw)).toMatchObject({
      kind: "invalid_request",
      field: "PhoneNumber",
    });
  });

  it.each([[[]], ["[1,2]"], [42], ["not json"], [{ errorCode: 500 }]])(
    "survives the odd body %j",
    (body) => {
      expect(classifyDarajaFailure("query", 500, body)).toBeInstanceOf(DarajaError);
    },
  );

  it("gives every message in words a support agent can act on", () => {
    for (const message of Object.values(DARAJA_MESSAGES))
      expect(message).not.toMatch(/\d{3}\.\d{3}|undefined|null|errorCode/);
  });
});

describe("transportError", () => {
  const refused = Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
  });
  const reset = Object.assign(new TypeError("fetch failed"), {
    cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
  });
  const abort = new DOMException("The operation was aborted due to timeout", "TimeoutError");

  it.each<[string, DarajaEndpoint, unknown, boolean, Partial<Expected>]>([
    [
      "push timeout: the prompt may be out",
      "push",
      abort,
      true,
      {
        kind: "timeout",
        retryable: false,
        outcomeUnknown: true,
        message: DARAJA_MESSAGES.pushTimeout,
      },
    ],
    [
      "push connection reset mid-request",
      "push",
      reset,
      false,
      {
        kind: "transport",
        retryable: false,
        outcomeUnknown: true,
        message: DARAJA_MESSAGES.pushUnknown,
      },
    ],
    [
      "push connection refused: nothing was sent",
      "push",
      refused,
      false,
      {
        kind: "transport",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.unreachable,
      },
    ],
    [
      "push DNS failure: nothing was sent",
      "push",
      { code: "ENOTFOUND" },
      false,
      { kind: "transport", retryable: true, outcomeUnknown: false },
    ],
    [
      "push connect timeout: nothing was sent",
      "push",
      { cause: { code: "UND_ERR_CONNECT_TIMEOUT" } },
      true,
      { kind: "timeout", retryable: true, outcomeUnknown: false, message: DARAJA_MESSAGES.timeout },
    ],
    [
      "query timeout",
      "query",
      abort,
      true,
      { kind: "timeout", retryable: true, outcomeUnknown: false, message: DARAJA_MESSAGES.timeout },
    ],
    [
      "oauth unreachable",
      "oauth",
      reset,
      false,
      {
        kind: "transport",
        retryable: true,
        outcomeUnknown: false,
        message: DARAJA_MESSAGES.unreachable,
      },
    ],
    ["push with an odd cause", "push", "boom", false, { kind: "transport", outcomeUnknown: true }],
  ])("%s", (_name, endpoint, cause, timedOut, expected) => {
    const error = transportError(endpoint, cause, timedOut);
    expect(error).toMatchObject({ ...expected, endpoint });
    expect(error.cause).toBe(cause);
    expect(error.httpStatus).toBeUndefined();
  });

  it("does not loop on a cause chain that points at itself", () => {
    const loop: { code: string; cause?: unknown } = { code: "ECONNRESET" };
    loop.cause = loop;
    expect(transportError("push", loop, false).outcomeUnknown).toBe(true);
  });
});

describe("classifyQueryResponse", () => {
  const final = {
    ResponseCode: "0",
    ResponseDescription: "The service request has been accepted successsfully",
    MerchantRequestID: "22205-34066-1",
    CheckoutRequestID: "ws_CO_13012021093521236557",
    ResultCode: "1032",
    ResultDesc: "Request cancelled by user",
  };

  it.each<[string, number, unknown, QueryAnswer]>([
    [
      "a final answer with a string ResultCode",
      200,
      final,
      {
        kind: "final",
        resultCode: "1032",
        resultDesc: "Request cancelled by user",
        merchantRequestId: "22205-34066-1",
        checkoutRequestId: "ws_CO_13012021093521236557",
      },
    ],
    [
      "a final answer with a numeric ResultCode",
      200,
      { ...final, ResultCode: 0, ResultDesc: "The service request is processed successfully." },
      {
        kind: "final",
        resultCode: "0",
        resultDesc: "The service request is processed successfully.",
        merchantRequestId: "22205-34066-1",
        checkoutRequestId: "ws_CO_13012021093521236557",
      },
    ],
    [
      "a final answer as JSON text",
      200,
      JSON.stringify(final),
      {
        kind: "final",
        resultCode: "1032",
        resultDesc: "Request cancelled by user",
        merchantRequestId: "22205-34066-1",
        checkoutRequestId: "ws_CO_13012021093521236557",
      },
    ],
    [
      "a final answer with an alphanumeric code and no IDs",
      200,
      { ResultCode: "E3008", ResultDesc: "Error, the user has a bad debt contract." },
      {
        kind: "final",
        resultCode: "E3008",
        resultDesc: "Error, the user has a bad debt contract.",
        merchantRequestId: undefined,
        checkoutRequestId: undefined,
      },
    ],
    [
      "a final answer without ResultDesc",
      200,
      { ResultCode: 1037 },
      {
        kind: "final",
        resultCode: "1037",
        resultDesc: "",
        merchantRequestId: undefined,
        checkoutRequestId: undefined,
      },
    ],
    [
      "2026 pending: 200 with ResultCode 4999",
      200,
      { ResultCode: "4999", ResultDesc: "The transaction is still under processing" },
      { kind: "processing" },
    ],
    ["2026 pending with a numeric 4999", 200, { ResultCode: 4999 }, { kind: "processing" }],
    [
      "classic pending: 500 being processed",
      500,
      envelope("500.001.1001", "The transaction is being processed", "ws_CO_13012021093521236557"),
      { kind: "processing" },
    ],
    [
      "unknown CheckoutRequestID",
      500,
      envelope("500.001.1001", "The transaction does not Exist"),
      { kind: "not_found" },
    ],
    [
      "unknown CheckoutRequestID, lower case",
      500,
      envelope("500.001.1001", "the transaction does not exist"),
      { kind: "not_found" },
    ],
    [
      "unknown CheckoutRequestID, SDK wording",
      500,
      envelope("500.001.1001", "This transaction does not exist"),
      { kind: "not_found" },
    ],
    [
      "spike arrest",
      500,
      envelope("500.003.02", "Error Occurred: Spike Arrest Violation"),
      { kind: "rate_limited" },
    ],
    [
      "system busy",
      500,
      envelope("500.003.02", "System is busy. Please try again in few minutes."),
      { kind: "rate_limited" },
    ],
    ["quota violation", 500, envelope("500.003.03", "Quota Violation"), { kind: "rate_limited" }],
    ["gateway 429", 429, "Too Many Requests", { kind: "rate_limited" }],
    [
      "2026: asked too early, 400 Invalid CheckoutRequestID is not yet known",
      400,
      envelope("400.002.02", "Bad Request - Invalid CheckoutRequestID"),
      { kind: "processing", notYetKnown: true },
    ],
  ])("%s", (_name, status, body, answer) => {
    expect(classifyQueryResponse(status, body)).toEqual(answer);
  });

  it.each<[string, number, unknown, DarajaErrorKind]>([
    ["an expired token", 404, envelope("404.001.03", "Invalid Access Token"), "auth"],
    [
      "wrong credentials",
      500,
      envelope("500.001.1001", "[MerchantValidate] - Wrong credentials"),
      "config",
    ],
    [
      "merchant does not exist (not a missing transaction)",
      500,
      envelope("500.001.1001", "Merchant does not exist"),
      "config",
    ],
    [
      "a 500.001.1001 we have not seen",
      500,
      envelope("500.001.1001", "Something else"),
      "unexpected",
    ],
    ["a 200 without ResultCode", 200, { ResponseCode: "0" }, "unexpected"],
    ["a 200 with an empty ResultCode", 200, { ResultCode: " " }, "unexpected"],
    ["an empty 503", 503, "", "unexpected"],
    [
      "another invalid field",
      400,
      envelope("400.002.02", "Bad Request - Invalid Timestamp"),
      "invalid_request",
    ],
  ])("turns %s into an error", (_name, status, body, kind) => {
    const answer = classifyQueryResponse(status, body);
    expect(answer.kind).toBe("error");
    if (answer.kind === "error")
      expect(answer.error).toMatchObject({ kind, endpoint: "query", outcomeUnknown: false });
  });

  it("never reads a being-processed message under another code as pending", () => {
    expect(
      classifyQueryResponse(500, envelope("500.003.1001", "The transaction is being processed"))
        .kind,
    ).toBe("error");
  });
});
