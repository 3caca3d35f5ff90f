// Login CSRF: before there is a session, the sign-in form carries a random token that must equal the
// one in a signed, SameSite=Strict cookie set when the form was served (a double-submit token). A page
// on another site can post the form but can neither read nor set that cookie.
import { createCookie } from "@remix-run/node";
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { AppContext } from "../../context.server";

function loginCookie(ctx: AppContext) {
  return createCookie("__console_login", {
    httpOnly: true,
    sameSite: "strict",
    secure: ctx.config.session.secureCookie,
    path: "/login",
    secrets: [ctx.config.session.secret],
    maxAge: 3600,
  });
}

/** The token for the form, and a Set-Cookie header when a new one had to be made. */
export async function loginToken(
  ctx: AppContext,
  request: Request,
): Promise<{ token: string; setCookie: string | null }> {
  const existing = await loginCookie(ctx).parse(request.headers.get("Cookie"));
  if (typeof existing === "string" && existing.length === 32)
    return { token: existing, setCookie: null };
  const token = randomBytes(24).toString("base64url");
  return { token, setCookie: await loginCookie(ctx).serialize(token) };
}

export async function loginTokenMatches(
  ctx: AppContext,
  request: Request,
  given: unknown,
): Promise<boolean> {
  const expected = await loginCookie(ctx).parse(request.headers.get("Cookie"));
  if (typeof expected !== "string" || typeof given !== "string") return false;
  const [a, b] = [Buffer.from(expected), Buffer.from(given)];
  return a.length === b.length && timingSafeEqual(a, b);
}
