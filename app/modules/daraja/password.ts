// The STK Push / STK Query `Password` (docs/daraja.md#stk-push-request, #password-and-timestamp,
// #stk-query): base64 of shortcode + passkey + timestamp, plain concatenation. Password and
// Timestamp must come from one instant, or Daraja answers 500.001.1001 "Wrong credentials" when the
// second ticks over between two now() calls.
import { toDarajaTimestamp } from "../../lib/time";

const TIMESTAMP = /^\d{14}$/;

/** base64(shortcode + passkey + timestamp). Built with btoa so the browser bundle can import it. */
export function stkPassword(
  shortcode: string | number,
  passkey: string,
  timestamp: string,
): string {
  // A Date or an ISO string here would silently produce a password Daraja rejects; fail loudly instead.
  if (!TIMESTAMP.test(timestamp))
    throw new RangeError(`Daraja timestamp must be YYYYMMDDHHmmss, got "${timestamp}"`);
  const bytes = new TextEncoder().encode(`${shortcode}${passkey}${timestamp}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Password and Timestamp for one request, from a single instant (EAT, whatever the server's TZ). */
export function stkCredentials(
  shortcode: string | number,
  passkey: string,
  at: Date,
): { password: string; timestamp: string } {
  const timestamp = toDarajaTimestamp(at);
  return { password: stkPassword(shortcode, passkey, timestamp), timestamp };
}
