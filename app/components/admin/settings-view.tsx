// The settings page's body, presentational only (it receives the already-masked view), so a test can
// render it to HTML and prove no secret appears.
import type { SettingsView } from "../../modules/admin/settings-view";

export type SettingsViewProps = SettingsView;

export function SettingsView(s: SettingsViewProps) {
  return (
    <>
      <p className="muted">
        Read-only: these values come from the server's environment. Change them there and restart
        the console.
      </p>
      <div className="grid-2">
        <section className="card">
          <h2>M-Pesa (Daraja)</h2>
          <dl className="facts">
            <dt>Environment</dt>
            <dd>
              <strong>{s.environment}</strong>
            </dd>
            <dt>Merchant</dt>
            <dd>{s.merchantName}</dd>
            <dt>Daraja address</dt>
            <dd className="mono">{s.daraja.baseUrl}</dd>
            <dt>Shortcode</dt>
            <dd className="mono">{s.daraja.shortcode}</dd>
            <dt>Transaction type</dt>
            <dd>{s.daraja.transactionType}</dd>
            <dt>Paid to (PartyB)</dt>
            <dd className="mono">{s.daraja.partyB}</dd>
            <dt>Timeout</dt>
            <dd>{s.daraja.timeoutMs / 1000} s</dd>
          </dl>
        </section>
        <section className="card">
          <h2>Credentials</h2>
          <dl className="facts">
            {s.secrets.map((x) => (
              <div key={x.env} style={{ display: "contents" }}>
                <dt>{x.name}</dt>
                <dd>
                  <span className="secret" data-testid={`secret-${x.env}`}>
                    {x.masked}
                  </span>{" "}
                  <span className="muted small">{x.env}</span>
                </dd>
              </div>
            ))}
          </dl>
          <p className="muted small">Secrets are never shown in full here or in logs.</p>
        </section>
      </div>
      <section className="card">
        <h2>Callback URLs to register</h2>
        <p className="muted small">
          The secret token in each path is masked; the full URL is <code>PUBLIC_URL</code> + the
          path + <code>MPESA_CALLBACK_TOKEN</code>.
        </p>
        {s.callbackUrls.map((u) => (
          <div key={u.name} className="callback-url" data-testid="callback-url">
            <h3>{u.name}</h3>
            <p className="mono small">{u.masked}</p>
            <p className="muted small">{u.purpose}</p>
            {u.problems.length ? (
              <ul className="form-error" aria-label={`Problems with the ${u.name} URL`}>
                {u.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            ) : (
              <p className="form-ok small">Daraja should accept this URL.</p>
            )}
          </div>
        ))}
      </section>
      <div className="grid-2">
        <section className="card">
          <h2>Network</h2>
          <dl className="facts">
            <dt>Public address</dt>
            <dd className="mono">{s.publicUrl}</dd>
            <dt>Callback sources</dt>
            <dd>
              {s.network.allowedIps
                ? s.network.allowedIps.join(", ")
                : "any address (MPESA_CALLBACK_ALLOWED_IPS not set)"}
            </dd>
            <dt>Behind a proxy</dt>
            <dd>{s.network.trustProxy ? "yes: X-Forwarded-For is trusted" : "no"}</dd>
            <dt>Database</dt>
            <dd>{s.database}</dd>
          </dl>
        </section>
        <section className="card">
          <h2>Poller</h2>
          <dl className="facts">
            <dt>Enabled</dt>
            <dd>{s.poller.enabled ? "yes" : "no"}</dd>
            <dt>Schedule</dt>
            <dd className="mono">{s.poller.schedule}</dd>
            <dt>First check after</dt>
            <dd>{s.poller.firstAfterS} s</dd>
            <dt>Give up after</dt>
            <dd>{s.poller.giveUpAfterS} s</dd>
            <dt>Rate limit</dt>
            <dd>{s.poller.maxQps} queries/s</dd>
          </dl>
        </section>
      </div>
    </>
  );
}
