// Global search as a given person runs it. For roles that see masked numbers a phone search is the
// job (a customer dictates their number) but also an unmasking oracle (try the candidates behind
// `0711 ••• •11` one by one), so those searches are rate-limited per person, written to the staff
// audit, and answered with the list even when one payment matches: no redirect confirms a number.
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { maskPhonesInText } from "../../lib/msisdn";
import { hit } from "../auth/rate-limit.server";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { viewFor, type Viewer } from "../auth/viewer";
import { isPhoneQuery, searchPayments, type SearchResult } from "./search.server";

export const PHONE_SEARCH_LIMIT = { limit: 20, windowMs: 10 * 60_000 };

export async function searchAs(
  ctx: AppContext,
  who: { actor: Actor & { kind: "user" }; viewer: Viewer },
  q: string,
): Promise<{ result: SearchResult; goTo: string | null }> {
  const guarded = who.viewer.masked && isPhoneQuery(q);
  if (guarded) {
    const { allowed } = await hit(
      ctx.db,
      `search-phone:${who.actor.userId}`,
      PHONE_SEARCH_LIMIT,
      ctx.now(),
    );
    if (!allowed)
      throw new AppError(
        "rate_limited",
        "Too many phone-number searches in a short time. Wait ten minutes, or ask finance to look the customer up.",
        { status: 429, field: "q" },
      );
  }
  const result = await searchPayments(ctx.db, q);
  if (guarded)
    await recordStaffAction(ctx.db, who.actor, {
      action: "search.phone",
      entityType: "search",
      after: { query: maskPhonesInText(result.query), matches: result.payments.length },
    });
  const single = result.payments.length === 1 && !result.truncated;
  return {
    result: viewFor(who.viewer, result),
    goTo: single && !guarded ? `/payments/${result.payments[0].id}` : null,
  };
}
