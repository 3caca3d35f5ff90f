// C2B (docs/daraja.md#c2b-registration, #c2b-confirmation): register the Confirmation/Validation
// URLs, and send confirmations whose values are all strings and whose MSISDN is plain, masked or
// hashed as Safaricom's eras did.
import { createHash } from "node:crypto";
import { eatTimestamp } from "./clock";
import { deliver } from "./callbacks";
import type { Exchange, Sim } from "./context";
import { invalidField, sendDarajaError } from "./daraja-errors";
import { readDarajaBody } from "./daraja-request";
import { sendJson } from "./http-io";
import { makeMerchantRequestId } from "./ids";
import { uniqueReceipt } from "./prompts";
import type { Delivery } from "./state";
import { checkShortcode } from "./validation";
import { phoneFormFor, showPhone, type PhoneForm } from "./phone-forms";

function defaultFormat(sim: Sim, msisdn: string, version: "v1" | "v2"): MsisdnFormat {
  const configured: PhoneForm = phoneFormFor(sim.config, msisdn);
  if (configured !== "full") return configured;
  return version === "v1" ? "hashed" : "masked";
}

// Documented as forbidden in C2B URLs, in any case (docs/daraja.md#c2b-registration).
const FORBIDDEN_URL_WORDS = /m-?pesa|safaricom|exe|exec|cmd|sql|query/i;

function checkC2bUrl(value: unknown): string | null {
  if (typeof value !== "string" || /\s/.test(value) || FORBIDDEN_URL_WORDS.test(value)) return null;
  return /^https?:\/\//i.test(value) && URL.canParse(value) ? value : null;
}

export const handleRegisterUrl =
  (version: "v1" | "v2") =>
  (sim: Sim, ex: Exchange): void => {
    const body = readDarajaBody(sim, ex, "ShortCode");
    if (!body) return;
    const shortCode = checkShortcode(body.ShortCode);
    if (shortCode === null) return sendDarajaError(sim, ex, invalidField("ShortCode"));
    const responseType = body.ResponseType;
    if (responseType !== "Completed" && responseType !== "Cancelled") {
      return sendDarajaError(sim, ex, invalidField("ResponseType"));
    }
    const confirmationUrl = checkC2bUrl(body.ConfirmationURL);
    if (confirmationUrl === null) return sendDarajaError(sim, ex, invalidField("ConfirmationURL"));
    const validationUrl = checkC2bUrl(body.ValidationURL);
    if (validationUrl === null) return sendDarajaError(sim, ex, invalidField("ValidationURL"));
    const at = new Date(sim.now()).toISOString();
    // Sandbox lets a registration be overwritten; production would need a portal deletion first.
    sim.state.registrations.set(shortCode, {
      shortCode,
      responseType,
      confirmationUrl,
      validationUrl,
      version,
      at,
    });
    sendJson(ex.res, 200, {
      OriginatorCoversationID: makeMerchantRequestId(sim.rng),
      ResponseCode: "0",
      ResponseDescription: "Success",
    });
  };

export type MsisdnFormat =
  "plain" | "masked" | "hashed" | "masked_tail" | "masked_middle" | "absent";

export interface C2bConfirmInput {
  transId?: string;
  amount: number;
  billRefNumber: string;
  msisdn?: string;
  /**
   * Defaults to the number's configured phone form (phoneFormByNumber, or phoneForm when that is
   * not "full"), else to the registered version's format: v1 hashed, v2 masked
   * (docs/daraja.md#c2b-confirmation).
   */
  msisdnFormat?: MsisdnFormat;
  shortCode?: string;
  firstName?: string;
}

export function formatMsisdn(msisdn: string, format: MsisdnFormat): string | null {
  if (format === "masked_tail" || format === "masked_middle" || format === "absent")
    return showPhone(msisdn, format);
  if (format === "masked") return `${msisdn.slice(0, 4)} ***** ${msisdn.slice(-3)}`;
  if (format === "hashed") return createHash("sha256").update(msisdn).digest("hex");
  return msisdn;
}

export async function sendC2bConfirmation(
  sim: Sim,
  input: C2bConfirmInput,
): Promise<{ payload: Record<string, string>; delivery: Delivery } | null> {
  const shortCode = input.shortCode ?? sim.creds.shortcode;
  const registration = sim.state.registrations.get(shortCode);
  if (!registration) return null;
  const now = sim.now();
  sim.state.orgBalance += input.amount;
  const msisdn = input.msisdn ?? "254708000001";
  const format = input.msisdnFormat ?? defaultFormat(sim, msisdn, registration.version);
  const shown = formatMsisdn(msisdn, format);
  const payload: Record<string, string> = {
    TransactionType: shortCode === sim.creds.tillNumber ? "Buy Goods" : "Pay Bill",
    TransID: input.transId ?? uniqueReceipt(sim, now),
    TransTime: eatTimestamp(now),
    TransAmount: input.amount.toFixed(2),
    BusinessShortCode: shortCode,
    BillRefNumber: input.billRefNumber,
    InvoiceNumber: "",
    OrgAccountBalance: sim.state.orgBalance.toFixed(2),
    ThirdPartyTransID: "",
    MSISDN: shown ?? "",
    FirstName: input.firstName ?? "JOHN",
    MiddleName: "",
    LastName: "",
  };
  // "absent": the field is left out altogether.
  if (shown === null) delete payload.MSISDN;
  const delivery = await deliver(sim, {
    kind: "c2b_confirmation",
    checkoutRequestId: null,
    url: registration.confirmationUrl,
    body: payload,
  });
  return { payload, delivery };
}
