// The initiator's SecurityCredential (docs/daraja.md#initiator-apis): the initiator password
// encrypted with Safaricom's public certificate for the environment (RSA, PKCS#1 v1.5 padding),
// base64. Computed once per process and kept in memory only: never logged, stored or shown.
import { constants, publicEncrypt } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Initiator } from "../../config.server";
import { AppError } from "../../lib/app-error";

const cache = new WeakMap<Initiator, string>();

export function securityCredential(initiator: Initiator): string {
  if (initiator.securityCredential) return initiator.securityCredential;
  const cached = cache.get(initiator);
  if (cached) return cached;
  if (!initiator.password || !initiator.certificatePath)
    throw new AppError("initiator_not_configured", "The M-Pesa initiator is not configured.", {
      status: 503,
    });
  let pem: string;
  try {
    pem = readFileSync(resolve(initiator.certificatePath), "utf8");
  } catch {
    // The path is configuration, not a secret; the password never appears in a message.
    throw new AppError(
      "initiator_certificate",
      `The initiator certificate cannot be read (MPESA_INITIATOR_CERT_PATH=${initiator.certificatePath}).`,
      { status: 503 },
    );
  }
  const credential = encryptInitiatorPassword(initiator.password, pem);
  cache.set(initiator, credential);
  return credential;
}

export function encryptInitiatorPassword(password: string, certificatePem: string): string {
  return publicEncrypt(
    { key: certificatePem, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(password, "utf8"),
  ).toString("base64");
}
