// A pass-through in front of the simulator (the server's DARAJA_BASE_URL points here) that can give
// the answers the simulator's control API cannot script: an STK Query answer with ResultCode "0"
// echoing ANOTHER CheckoutRequestID, and push refusals the in-process simulator never produces (it
// shares the server's shortcode and passkey, and the app checks phones before pushing). Everything
// else goes to the simulator unchanged.
import { createServer, type IncomingMessage } from "node:http";
import { freePort } from "./server";

const QUERY_PATH = "/mpesa/stkpushquery/v1/query";
const PUSH_PATH = "/mpesa/stkpush/v1/processrequest";

export type DarajaForger = {
  url: string;
  /** Answer queries about `asked` with a success that names `echoed` instead. */
  forgeQuery(asked: string, echoed: { checkoutRequestId: string; merchantRequestId: string }): void;
  /** Answer pushes to `phone` (254…) with this HTTP status and JSON body. */
  forgePush(phone: string, answer: { status: number; body: unknown }): void;
  /** How many forged answers were sent for `asked`. */
  served(asked: string): number;
  close(): Promise<void>;
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startDarajaForger(simulatorPort: number): Promise<DarajaForger> {
  const forged = new Map<string, { checkoutRequestId: string; merchantRequestId: string }>();
  const pushes = new Map<string, { status: number; body: unknown }>();
  const counts = new Map<string, number>();
  const port = await freePort();
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (req.method === "POST" && req.url === PUSH_PATH) {
        const phone = String(JSON.parse(body.toString("utf8")).PhoneNumber ?? "");
        const answer = pushes.get(phone);
        if (answer) {
          res
            .writeHead(answer.status, { "Content-Type": "application/json" })
            .end(JSON.stringify(answer.body));
          return;
        }
      }
      if (req.method === "POST" && req.url === QUERY_PATH) {
        const asked = String(JSON.parse(body.toString("utf8")).CheckoutRequestID ?? "");
        const echoed = forged.get(asked);
        if (echoed) {
          counts.set(asked, (counts.get(asked) ?? 0) + 1);
          res.writeHead(200, { "Content-Type": "application/json" }).end(
            JSON.stringify({
              ResponseCode: "0",
              ResponseDescription: "The service request has been accepted successsfully",
              MerchantRequestID: echoed.merchantRequestId,
              CheckoutRequestID: echoed.checkoutRequestId,
              ResultCode: "0",
              ResultDesc: "The service request is processed successfully.",
            }),
          );
          return;
        }
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === "string" && !["host", "content-length", "connection"].includes(name))
          headers[name] = value;
      const upstream = await fetch(`http://127.0.0.1:${simulatorPort}${req.url}`, {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
      });
      res
        .writeHead(upstream.status, {
          "Content-Type": upstream.headers.get("content-type") ?? "application/json",
        })
        .end(Buffer.from(await upstream.arrayBuffer()));
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    forgeQuery: (asked, echoed) => forged.set(asked, echoed),
    forgePush: (phone, answer) => pushes.set(phone, answer),
    served: (asked) => counts.get(asked) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
