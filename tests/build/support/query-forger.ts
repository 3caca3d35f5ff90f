// A pass-through in front of the simulator (the server's DARAJA_BASE_URL points here) that can answer
// one payment's STK Query with ResultCode "0" echoing ANOTHER CheckoutRequestID — the hostile or buggy
// answer the simulator's control API cannot script. Everything else goes to the simulator unchanged.
import { createServer, type IncomingMessage } from "node:http";
import { freePort } from "./server";

const QUERY_PATH = "/mpesa/stkpushquery/v1/query";

export type QueryForger = {
  url: string;
  /** Answer queries about `asked` with a success that names `echoed` instead. */
  forge(asked: string, echoed: { checkoutRequestId: string; merchantRequestId: string }): void;
  /** How many forged answers were sent for `asked`. */
  served(asked: string): number;
  close(): Promise<void>;
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startQueryForger(simulatorPort: number): Promise<QueryForger> {
  const forged = new Map<string, { checkoutRequestId: string; merchantRequestId: string }>();
  const counts = new Map<string, number>();
  const port = await freePort();
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
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
    forge: (asked, echoed) => forged.set(asked, echoed),
    served: (asked) => counts.get(asked) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
