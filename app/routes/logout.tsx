import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { assertSameOrigin } from "../modules/auth/guards.server";
import { destroyStaffSession } from "../modules/auth/sessions.server";

export async function loader() {
  // Signing out is a POST (a link or an <img> on another site must not sign people out).
  return redirect("/");
}

export async function action({ request, context }: ActionFunctionArgs) {
  assertSameOrigin(request, context.config.mpesa.trustProxy);
  return redirect("/login", {
    headers: { "Set-Cookie": await destroyStaffSession(context, request) },
  });
}
