// Staff accounts (admin only): who may sign in and with which role. Create, change role, disable and
// enable — each recorded in the staff audit by auth/users.server.ts. A disabled user's sessions stop
// working at once (sessions are checked against the user on every request). Live sessions are listed
// and can be ended one by one.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { FormResultBanner } from "../components/form-result";
import type { FormResult } from "../lib/form-result";
import { SessionsTable } from "../components/admin/sessions-table";
import { CsrfInput, useConsoleUser } from "../components/csrf";
import { EatTime } from "../components/format";
import { AppError } from "../lib/app-error";
import { formAction } from "../lib/http.server";
import {
  AccessChangeSchema,
  changeUserAccess,
  changeUserRole,
  RoleChangeSchema,
} from "../modules/admin/users.server";
import { parseForm } from "../lib/validation";
import { resetUserPassword, ResetPasswordSchema } from "../modules/auth/password-change.server";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { ROLE_LABELS, type Role } from "../modules/auth/permissions";
import { endStaffSession, listActiveSessions } from "../modules/auth/sessions.server";
import { createUser, listUsers } from "../modules/auth/users.server";

export const meta: MetaFunction = () => [{ title: "Users · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "users:manage");
  const [users, sessions] = await Promise.all([listUsers(context.db), listActiveSessions(context)]);
  return json({ users, sessions: sessions.map((s) => ({ ...s, current: s.id === session.id })) });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "users:manage");
  const fields = Object.fromEntries([...form].filter(([, v]) => typeof v === "string")) as Record<
    string,
    string
  >;
  return formAction(async () => {
    switch (fields.intent) {
      case "create": {
        const user = await createUser(
          context.db,
          {
            email: fields.email,
            name: fields.name,
            role: fields.role as Role,
            password: fields.password,
          },
          actor,
        );
        return { message: `${user.email} can now sign in as ${ROLE_LABELS[user.role]}.` };
      }
      case "role": {
        const change = parseForm(RoleChangeSchema, form);
        await changeUserRole(context.db, change, actor);
        return { message: `Role changed to ${ROLE_LABELS[change.role]}.` };
      }
      case "password": {
        if (actor.kind !== "user") throw new Error("a staff action always has a user actor");
        const user = await resetUserPassword(
          context.db,
          parseForm(ResetPasswordSchema, form),
          actor,
        );
        return {
          message: `New temporary password set for ${user.email}; their sessions have ended. Give it to them directly.`,
        };
      }
      case "access":
        return {
          message: (await changeUserAccess(context.db, parseForm(AccessChangeSchema, form), actor))
            ? "User disabled; their sessions end now."
            : "User enabled.",
        };
      case "end-session":
        await endStaffSession(context, fields.sessionId ?? "", actor);
        return { message: "Session ended; that browser is signed out." };
      default:
        throw new AppError("invalid_request", "Unknown action; reload the page and try again.");
    }
  });
}

const ROLES = Object.keys(ROLE_LABELS) as Role[];

function RoleSelect({ name = "role", defaultValue }: { name?: string; defaultValue?: Role }) {
  return (
    <select name={name} defaultValue={defaultValue ?? "support"} aria-label="Role">
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {ROLE_LABELS[r]}
        </option>
      ))}
    </select>
  );
}

function CreateUserForm({ busy, result }: { busy: boolean; result: FormResult | undefined }) {
  const form = useRef<HTMLFormElement>(null);
  // After a user is added the form starts empty again (the password must not linger in it).
  useEffect(() => {
    if (result?.ok && !busy) form.current?.reset();
  }, [result, busy]);
  return (
    <Form method="post" className="card" aria-label="Add a user" ref={form}>
      <h2>Add a user</h2>
      <CsrfInput />
      <input type="hidden" name="intent" value="create" />
      <div className="filters">
        <label>
          Name
          <input name="name" required maxLength={100} autoComplete="off" />
        </label>
        <label>
          Email
          <input name="email" type="email" required autoComplete="off" />
        </label>
        <label>
          Role
          <RoleSelect />
        </label>
        <label>
          Temporary password
          <input
            name="password"
            type="password"
            required
            minLength={10}
            autoComplete="new-password"
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Add user
        </button>
      </div>
      <p className="muted small">
        Give the password to the person directly; they should change it after signing in.
      </p>
    </Form>
  );
}

export default function UsersPage() {
  const { users, sessions } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const me = useConsoleUser();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="admin-page">
      <h1>Users</h1>
      <FormResultBanner result={result} />
      <CreateUserForm busy={busy} result={result} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Added</th>
              <th>Access</th>
              <th>Password</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-testid={`user-${u.email}`}>
                <td>
                  {u.name}
                  {u.id === me.id ? <span className="muted"> (you)</span> : null}
                </td>
                <td>{u.email}</td>
                <td>
                  {u.id === me.id ? (
                    ROLE_LABELS[u.role]
                  ) : (
                    <Form method="post" className="inline-form">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="role" />
                      <input type="hidden" name="userId" value={u.id} />
                      <RoleSelect defaultValue={u.role} />
                      <button type="submit" disabled={busy}>
                        Change
                      </button>
                    </Form>
                  )}
                </td>
                <td>
                  <EatTime at={u.createdAt} />
                </td>
                <td>
                  {u.disabledAt ? (
                    <span className="badge badge-cancelled">disabled</span>
                  ) : (
                    <span className="badge badge-paid">active</span>
                  )}{" "}
                  {u.id === me.id ? null : (
                    <Form
                      method="post"
                      className="inline-form"
                      onSubmit={(event) => {
                        // Disabling ends the person's sessions at once: ask first.
                        if (
                          !u.disabledAt &&
                          !window.confirm(`Disable ${u.name}? They are signed out at once.`)
                        )
                          event.preventDefault();
                      }}
                    >
                      <CsrfInput />
                      <input type="hidden" name="intent" value="access" />
                      <input type="hidden" name="userId" value={u.id} />
                      <input
                        type="hidden"
                        name="disabled"
                        value={u.disabledAt ? "false" : "true"}
                      />
                      <button
                        type="submit"
                        className={u.disabledAt ? undefined : "danger"}
                        disabled={busy}
                      >
                        {u.disabledAt ? "Enable" : "Disable"}
                      </button>
                    </Form>
                  )}
                </td>
                <td>
                  {u.id === me.id ? (
                    <Link to="/account">Change yours</Link>
                  ) : (
                    <Form
                      method="post"
                      className="inline-form"
                      aria-label={`Reset the password of ${u.name}`}
                    >
                      <CsrfInput />
                      <input type="hidden" name="intent" value="password" />
                      <input type="hidden" name="userId" value={u.id} />
                      <input
                        name="password"
                        type="password"
                        required
                        minLength={10}
                        autoComplete="new-password"
                        placeholder="New temporary password"
                        aria-label={`New temporary password for ${u.name}`}
                      />
                      <button type="submit" disabled={busy}>
                        Reset
                      </button>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <SessionsTable sessions={sessions} busy={busy} />
    </div>
  );
}
