// The body a merchant receives: `{ type, timestamp, data }` as Standard Webhooks suggests, `data`
// being the event's snapshot (the API's payment shape, and the case for case.* events) as the
// endpoint's role may see it — for support and manager, phone numbers masked wherever they appear.
// Rendered once per delivery, at its first attempt, and then sent byte for byte on every retry. Pure.
import type { Role } from "../auth/permissions";
import { viewerOf, viewFor } from "../auth/viewer";

export function renderWebhookBody(
  event: { type: string; createdAt: Date; payload: unknown },
  role: Role,
): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    data: viewFor(viewerOf(role), event.payload),
  });
}
