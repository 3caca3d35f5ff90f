// Your account (every signed-in user): change your own password. Your other sessions end; this one
// stays. The lock-out message and the users page point here.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { FormResultBanner } from "../components/form-result";
import type { FormResult } from "../lib/form-result";
import { CsrfInput } from "../components/csrf";
import { ErrorPage } from "../components/error-page";
import { formAction } from "../lib/http.server";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { parseForm } from "../lib/validation";
import { ChangePasswordSchema, changeOwnPassword } from "../modules/auth/password-change.server";
import { MIN_PASSWORD_LENGTH } from "../modules/auth/password.server";

export const meta: MetaFunction = () => [{ title: "Your account · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "account:password");
  return json({ user: session.user, minLength: MIN_PASSWORD_LENGTH });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form, session } = await requireStaffAction(context, request, "account:password");
  return formAction(async () => {
    if (actor.kind !== "user") throw new Error("a staff action always has a user actor");
    await changeOwnPassword(context.db, parseForm(ChangePasswordSchema, form), actor, session.id);
    return { message: "Password changed. Your other sessions have been signed out." };
  });
}

export default function AccountPage() {
  // From the loader: a value imported from a .server file is empty in the browser bundle.
  const { minLength } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const busy = useNavigation().state === "submitting";
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (result?.ok) form.current?.reset();
  }, [result]);
  return (
    <div className="narrow">
      <h1>Your password</h1>
      <FormResultBanner result={result} />
      <Form method="post" className="card" ref={form} aria-label="Change your password">
        <CsrfInput />
        <label>
          Current password
          <input name="current" type="password" required autoComplete="current-password" />
        </label>
        <label>
          New password (at least {minLength} characters)
          <input
            name="password"
            type="password"
            required
            minLength={minLength}
            autoComplete="new-password"
          />
        </label>
        <label>
          New password again
          <input
            name="confirm"
            type="password"
            required
            minLength={minLength}
            autoComplete="new-password"
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Changing…" : "Change password"}
        </button>
      </Form>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
