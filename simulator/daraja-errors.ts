// Daraja's error envelope `{requestId, errorCode, errorMessage}` and every error the simulator
// answers with, word for word from docs/daraja.md#oauth, #daraja-errors, #stk-query.
import type { Exchange, Sim } from "./context";
import { sendJson } from "./http-io";
import { makeMerchantRequestId } from "./ids";

export interface DarajaError {
  status: number;
  errorCode: string;
  errorMessage: string;
}

const error = (status: number, errorCode: string, errorMessage: string): DarajaError => ({
  status,
  errorCode,
  errorMessage,
});

/** `400.002.02 "Bad Request - Invalid <Field>"`: the suffix names the offending field. */
export const invalidField = (field: string): DarajaError =>
  error(400, "400.002.02", `Bad Request - Invalid ${field}`);

export const ERRORS = {
  invalidPayload: error(400, "400.002.05", "Invalid Request Payload"),
  invalidAuthentication: error(400, "400.008.01", "Invalid Authentication passed"),
  invalidGrantType: error(400, "400.008.02", "Invalid grant type passed"),
  invalidAccessToken: error(404, "404.001.03", "Invalid Access Token"),
  resourceNotFound: error(404, "404.001.01", "Resource not found"),
  methodNotAllowed: error(405, "405.001", "Method Not Allowed"),
  wrongCredentials: error(500, "500.001.1001", "[MerchantValidate] - Wrong credentials"),
  merchantMissing: error(500, "500.001.1001", "Merchant does not exist"),
  subscriberLocked: error(
    500,
    "500.001.1001",
    "Unable to lock subscriber, a transaction is already in process for the current subscriber",
  ),
  beingProcessed: error(500, "500.001.1001", "The transaction is being processed"),
  transactionMissing: error(500, "500.001.1001", "The transaction does not Exist"),
  systemBusy: error(500, "500.003.02", "System is busy. Please try again in few minutes."),
  spikeArrest: error(500, "500.003.02", "Error Occurred: Spike Arrest Violation"),
  quotaViolation: error(500, "500.003.03", "Quota Violation"),
  internal: error(500, "500.003.1001", "Internal Server Error"),
} as const;

export function sendDarajaError(sim: Sim, ex: Exchange, e: DarajaError, requestId?: string): void {
  sendJson(ex.res, e.status, {
    requestId: requestId ?? makeMerchantRequestId(sim.rng),
    errorCode: e.errorCode,
    errorMessage: e.errorMessage,
  });
}
