// The initiator's SecurityCredential as the simulator checks it (docs/daraja.md#initiator-apis): the
// console encrypts the initiator password with test-initiator/test-cert.pem (RSA, PKCS#1 v1.5);
// the simulator decrypts it with the matching TEST-ONLY private key. Node 20 refuses PKCS#1 v1.5
// private decryption (CVE-2023-46809), so the padding is removed by hand after a raw decryption.
import { constants, privateDecrypt } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const SIM_INITIATOR = { name: "testapi", password: "Safaricom999!*!" } as const;

let key: string | null = null;

function testKey(): string {
  if (key) return key;
  // Beside this file from source; from the repository root when bundled into build/.
  const candidates = [
    fileURLToPath(new URL("./test-initiator/test-key.pem", import.meta.url)),
    resolve("simulator/test-initiator/test-key.pem"),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error("simulator/test-initiator/test-key.pem is missing");
  key = readFileSync(found, "utf8");
  return key;
}

/** The password inside a SecurityCredential, or null when it is not one made with our test certificate. */
export function decryptCredential(credential: unknown): string | null {
  if (typeof credential !== "string" || !/^[A-Za-z0-9+/=]{16,1024}$/.test(credential)) return null;
  let block: Buffer;
  try {
    block = privateDecrypt(
      { key: testKey(), padding: constants.RSA_NO_PADDING },
      Buffer.from(credential, "base64"),
    );
  } catch {
    return null;
  }
  // PKCS#1 v1.5 type 2: 00 02 <at least 8 non-zero bytes> 00 <message>.
  if (block[0] !== 0 || block[1] !== 2) return null;
  const end = block.indexOf(0, 2);
  if (end < 10) return null;
  return block.subarray(end + 1).toString("utf8");
}

export function initiatorValid(name: unknown, credential: unknown): boolean {
  return name === SIM_INITIATOR.name && decryptCredential(credential) === SIM_INITIATOR.password;
}
