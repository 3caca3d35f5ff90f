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
import { readBodyLimited } from "../lib/body.server";
import { clientIp } from "../lib/http.server";
import { safeNext } from "../lib/safe-redirect";
import { loginToken, loginTokenMatches } from "../modules/auth/login-token.server";

export const meta: MetaFunction = () => [{ title: "Sign in · M-Pesa console" }];

// Sign-in forms are a few hundred bytes; anything far bigger is refused before it is parsed.
const MAX_SIGN_IN_BODY = 8 * 1024;

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getStaffSession(context, request)) throw redirect("/");
  const { token, setCookie } = await loginToken(context, request);
  const demo = context.config.mpesa.environment === "simulator" && context.config.seedDemoData;
  return json(
    {
      environment: context.config.mpesa.environment,
      loginToken: token,
      // Simulator mode only: the seeded demo users, so a newcomer can try each role.
      demoLogins: demo
        ? DEMO_LOGINS.map(({ role, email, password }) => ({ role, email, password }))
        : [],
    },
    setCookie ? { headers: { "Set-Cookie": setCookie } } : undefined,
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  assertSameOrigin(request, context.config.mpesa.trustProxy);
  const body = await readBodyLimited(request, MAX_SIGN_IN_BODY);
  if (body.tooLarge)
    return json({ error: "The sign-in form is too large.", email: "" }, { status: 413 });
  const form = new URLSearchParams(new TextDecoder().decode(body.bytes));
  const email = (form.get("email") ?? "").slice(0, 254);
  if (!(await loginTokenMatches(context, request, form.get("loginToken"))))
    return json(
      { error: "This sign-in form has expired. Reload the page and try again.", email },
      { status: 403 },
    );
  const password = form.get("password") ?? "";
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
  return redirect(safeNext(form.get("next"), new URL(request.url).origin), {
    headers: { "Set-Cookie": cookie },
  });
}

export default function Login() {
  const data = useActionData<typeof action>();
  const { loginToken, demoLogins } = useLoaderData<typeof loader>();
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
        <input type="hidden" name="loginToken" value={loginToken} />
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
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            maxLength={256}
            required
          />
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
