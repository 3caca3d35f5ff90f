// A merchant's webhook receiver for tests: a real HTTP server that records every request and answers
// with whatever status the test decides for the n-th request (default 200).
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export type ReceivedWebhook = { headers: IncomingHttpHeaders; body: string };

export type WebhookReceiver = {
  url: string;
  received: ReceivedWebhook[];
  /** The status to answer for the n-th request (0-based); may wait first. */
  respond: (n: number) => number | Promise<number>;
  close(): Promise<void>;
};

export async function startWebhookReceiver(
  respond: (n: number) => number | Promise<number> = () => 200,
): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: "",
    received: [],
    respond,
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = receiver.received.length;
      receiver.received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      void Promise.resolve(receiver.respond(n)).then(
        (status) => {
          if (!res.destroyed) res.writeHead(status).end();
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/mpesa`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** The Standard Webhooks headers of a received request, as Webhook.verify wants them. */
export function webhookHeaders(r: ReceivedWebhook): Record<string, string> {
  return {
    "webhook-id": String(r.headers["webhook-id"]),
    "webhook-timestamp": String(r.headers["webhook-timestamp"]),
    "webhook-signature": String(r.headers["webhook-signature"]),
  };
}
