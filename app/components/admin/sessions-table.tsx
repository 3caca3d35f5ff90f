// Who is signed in where: every live session with where it came from, and a button to end it (a
// lost laptop, a shared computer, a second sign-in the person did not make).
import { Form } from "@remix-run/react";
import { CsrfInput } from "../csrf";
import { EatTime } from "../format";

export type SessionRow = {
  id: string;
  email: string;
  createdAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
};

export function SessionsTable({ sessions, busy }: { sessions: SessionRow[]; busy: boolean }) {
  return (
    <section className="card" aria-label="Signed-in sessions">
      <h2>Signed-in sessions</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th>Signed in</th>
              <th>From</th>
              <th>Browser</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id} data-testid="session-row">
                <td>{s.email}</td>
                <td>
                  <EatTime at={s.createdAt} />
                </td>
                <td className="mono">{s.ip ?? "—"}</td>
                <td className="small">{s.userAgent?.slice(0, 80) ?? "—"}</td>
                <td>
                  <EatTime at={s.expiresAt} />
                </td>
                <td>
                  {s.current ? (
                    <span className="muted">this session</span>
                  ) : (
                    <Form method="post" className="inline-form">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="end-session" />
                      <input type="hidden" name="sessionId" value={s.id} />
                      <button type="submit" className="danger" disabled={busy}>
                        End
                      </button>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
