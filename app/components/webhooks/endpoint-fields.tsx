// The fields of a webhook endpoint, shared by the "add" form and the endpoint's edit form.
import { ROLE_LABELS, type Role } from "../../modules/auth/permissions";
import {
  WEBHOOK_EVENT_DESCRIPTIONS,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from "../../modules/ledger/webhook-events";

export type EndpointDefaults = {
  url: string;
  description: string;
  eventTypes: string[];
  role: Role;
  enabled: boolean;
};

export const NEW_ENDPOINT: EndpointDefaults = {
  url: "",
  description: "",
  eventTypes: ["payment.paid", "payment.failed", "payment.cancelled", "payment.expired"],
  role: "support",
  enabled: true,
};

export function EndpointFields({ defaults }: { defaults: EndpointDefaults }) {
  return (
    <>
      <div className="filters">
        <label style={{ flex: "2 1 24rem" }}>
          URL
          <input
            name="url"
            type="url"
            required
            maxLength={2000}
            defaultValue={defaults.url}
            placeholder="https://shop.example.com/hooks/mpesa"
          />
        </label>
        <label>
          Description
          <input name="description" maxLength={200} defaultValue={defaults.description} />
        </label>
        <label>
          Payload shown as
          <select name="role" defaultValue={defaults.role}>
            {(Object.keys(ROLE_LABELS) as Role[]).map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" name="enabled" defaultChecked={defaults.enabled} /> Enabled
        </label>
      </div>
      <fieldset>
        <legend>Events to send</legend>
        {WEBHOOK_EVENT_TYPES.map((type: WebhookEventType) => (
          <label key={type} className="small" style={{ display: "block" }}>
            <input
              type="checkbox"
              name="eventTypes"
              value={type}
              defaultChecked={defaults.eventTypes.includes(type)}
            />{" "}
            <code>{type}</code> — {WEBHOOK_EVENT_DESCRIPTIONS[type]}
          </label>
        ))}
      </fieldset>
      <p className="muted small">
        Support and manager payloads show customers’ phone numbers masked; finance and admin see
        them whole. Outside simulator mode the URL must be public https.
      </p>
    </>
  );
}

/** A signing secret, shown once after creation or rotation. */
export function SecretOnce({ secret, note }: { secret: string; note: string }) {
  return (
    <div className="key-once" role="status" data-testid="webhook-secret">
      <p>
        <strong>Copy this signing secret now — it will not be shown again.</strong> {note}
      </p>
      <p>
        <input
          readOnly
          value={secret}
          aria-label="Signing secret"
          className="mono"
          style={{ width: "100%" }}
          onFocus={(e) => e.currentTarget.select()}
        />
      </p>
    </div>
  );
}
