// The secret path segment is the only authentication Daraja callbacks can carry
// (docs/daraja.md#callback-url, #callback-delivery).
import { timingSafeEqual } from "node:crypto";
import type { AppContext } from "../../context.server";

export function callbackTokenMatches(ctx: AppContext, token: string | undefined): boolean {
  const expected = Buffer.from(ctx.config.mpesa.callbackToken);
  const given = Buffer.from(token ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
