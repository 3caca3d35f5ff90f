// Posting the sign-in form the way a browser does: first GET the form (its pre-session token and
// cookie), then POST it back with both.
import type { AppContext } from "../../app/context.server";
import * as login from "../../app/routes/login";
import { call, get, jsonOf, postForm } from "./routes";

export async function loginFormToken(ctx: AppContext): Promise<{ token: string; cookie: string }> {
  const form = await call(login.loader, ctx, get("/login"));
  return {
    token: (await jsonOf<{ loginToken: string }>(form)).loginToken,
    cookie: form.headers.get("Set-Cookie")!.split(";")[0],
  };
}

export async function postLogin(
  ctx: AppContext,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const { token, cookie } = await loginFormToken(ctx);
  return call(
    login.action,
    ctx,
    postForm("/login", { loginToken: token, ...fields }, { cookie, headers }),
  );
}
