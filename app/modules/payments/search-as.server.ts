// Lookups as a given person runs them. For roles that see masked numbers a phone lookup is the job (a
// customer dictates their number) but also an unmasking oracle (try the candidates behind `0711 ••• •11`
// one by one and see which one finds something). The same holds for an identifier with the number in
// it (a CheckoutRequestID such as `ws_CO_…0711••••11`), in global search, on the payments list and in
// its API. So those lookups are rate-limited per person (and, more widely, per API key), a person's are
// written to the staff audit, and global search answers them with the list even when one payment
// matches: no redirect confirms a number.
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { maskPhonesInText } from "../../lib/msisdn";
import { hit } from "../auth/rate-limit.server";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { viewFor, type Viewer } from "../auth/viewer";
import type { PaymentListInput } from "./list-filters";
import { listPayments } from "./queries.server";
import { isPhoneQuery, searchPayments, type SearchResult } from "./search.server";

export const PHONE_SEARCH_LIMIT = { limit: 20, windowMs: 10 * 60_000 };
/**
 * An API key with a masked role is a merchant's system looking its own payments up (by
 * CheckoutRequestID, say): a wider limit that still makes walking the 10,000 numbers behind one
 * masked form take hours, and no audit row per call.
 */
export const KEY_PHONE_LOOKUP_LIMIT = { limit: 600, windowMs: 10 * 60_000 };

/** Who looks something up: a signed-in person or an API key, and how they see numbers. */
export type Searcher = { actor: Actor & { kind: "user" | "api_key" }; viewer: Viewer };

/** Whether looking `text` up could confirm a phone number: it is one, or an identifier holding one. */
export function confirmsPhone(text: string | undefined): boolean {
  return !!text && (isPhoneQuery(text) || maskPhonesInText(text) !== text);
}

/**
 * For a masked viewer whose lookup (field name → text) could confirm a number: counts the lookup against
 * the limit (a 429 on the first such field past it) and returns what to record once the answer is
 * known. Null for everyone else.
 */
export async function guardPhoneLookup(
  ctx: AppContext,
  who: Searcher,
  fields: Record<string, string | undefined>,
): Promise<((matches: number) => Promise<void>) | null> {
  const revealing = Object.entries(fields).filter(([, text]) => confirmsPhone(text));
  if (!who.viewer.masked || revealing.length === 0) return null;
  const person = who.actor.kind === "user";
  const { allowed } = await hit(
    ctx.db,
    `search-phone:${who.actor.kind === "user" ? who.actor.userId : `key:${who.actor.apiKeyId}`}`,
    person ? PHONE_SEARCH_LIMIT : KEY_PHONE_LOOKUP_LIMIT,
    ctx.now(),
  );
  if (!allowed)
    throw new AppError(
      "rate_limited",
      person
        ? "Too many phone-number searches in a short time. Wait ten minutes, or ask finance to look the customer up."
        : "Too many lookups by phone number or CheckoutRequestID with this key in ten minutes; look payments up by their id.",
      { status: 429, field: revealing[0][0] },
    );
  if (!person) return async () => {};
  return (matches) =>
    recordStaffAction(ctx.db, who.actor, {
      action: "search.phone",
      entityType: "search",
      after: {
        query: revealing.map(([, text]) => maskPhonesInText(text as string)).join(" · "),
        matches,
      },
    });
}

export async function searchAs(
  ctx: AppContext,
  who: Searcher,
  q: string,
): Promise<{ result: SearchResult; goTo: string | null }> {
  const audit = await guardPhoneLookup(ctx, who, { q: q.trim() });
  const result = await searchPayments(ctx.db, q);
  await audit?.(result.payments.length);
  const single = result.payments.length === 1 && !result.truncated;
  return {
    result: viewFor(who.viewer, result),
    goTo: single && !audit ? `/payments/${result.payments[0].id}` : null,
  };
}

/** The payments list (page and API) as `who` may see it; a filter on a number is guarded as above. */
export async function listPaymentsAs(ctx: AppContext, who: Searcher, filters: PaymentListInput) {
  const audit = await guardPhoneLookup(ctx, who, {
    phone: filters.phone,
    checkoutRequestId: filters.checkoutRequestId,
    orderRef: filters.orderRef,
  });
  const page = await listPayments(ctx.db, filters);
  await audit?.(page.payments.length);
  return viewFor(who.viewer, page);
}
