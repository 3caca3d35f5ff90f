import {
  json,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import {
  Form,
  useActionData,
  useLoaderData,
  useNavigation,
  useSearchParams,
} from "@remix-run/react";
import { DEMO_LOGINS } from "../modules/auth/demo-logins";
import { assertSameOrigin } from "../modules/auth/guards.server";
import { createStaffSession, getStaffSession } from "../modules/auth/sessions.server";
import { signIn } from "../modules/auth/users.server";
import { clientIp } from "../lib/http.server";

export const meta: MetaFunction = () => [{ title: "Sign in · M-Pesa console" }];

function safeNext(next: FormDataEntryValue | string | null): string {
  const value = typeof next === "string" ? next : "";
  // Only same-site paths: an open redirect after sign-in is a phishing tool.
  return value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getStaffSession(context, request)) throw redirect("/");
  const demo = context.config.mpesa.environment === "simulator" && context.config.seedDemoData;
  return json({
    environment: context.config.mpesa.environment,
    // Simulator mode only: the seeded demo users, so a newcomer can try each role.
    demoLogins: demo
      ? DEMO_LOGINS.map(({ role, email, password }) => ({ role, email, password }))
      : [],
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const form = await request.formData();
  const email = String(form.get("email") ?? "");
  const password = String(form.get("password") ?? "");
  const ip = clientIp(request, context.config.mpesa.trustProxy);
  const result = await signIn(context, { email, password, ip });
  if (!result.ok) {
    context.log.info({ event: "sign_in_failed", ip }, "sign-in failed");
    return json({ error: result.message, email }, { status: 401 });
  }
  const cookie = await createStaffSession(context, result.user.id, {
    ip,
    userAgent: request.headers.get("User-Agent"),
  });
  return redirect(safeNext(form.get("next")), { headers: { "Set-Cookie": cookie } });
}

export default function Login() {
  const data = useActionData<typeof action>();
  const { demoLogins } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  return (
    <main className="login">
      <Form method="post" className="card login-card">
        <h1>M-Pesa merchant console</h1>
        <p className="muted">Sign in with your staff account.</p>
        {data?.error ? (
          <p className="form-error" role="alert">
            {data.error}
          </p>
        ) : null}
        <input type="hidden" name="next" value={params.get("next") ?? "/"} />
        <label>
          Email
          <input
            name="email"
            type="email"
            autoComplete="username"
            required
            defaultValue={data?.email}
          />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" className="primary" disabled={navigation.state !== "idle"}>
          {navigation.state !== "idle" ? "Signing in…" : "Sign in"}
        </button>
      </Form>
      {demoLogins.length ? (
        <section className="card login-card" aria-label="Demo logins">
          <h2>Demo logins (simulator)</h2>
          <p className="muted">No real money moves here. Sign in as any role:</p>
          <table>
            <tbody>
              {demoLogins.map((d) => (
                <tr key={d.email}>
                  <td>{d.role}</td>
                  <td className="mono">{d.email}</td>
                  <td className="mono">{d.password}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </main>
  );
}
