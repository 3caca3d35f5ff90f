// What the API gateway in front of Daraja answers on its own (docs/daraja.md, "Daraja errors", "Polling"): an
// HTML page with HTTP 200 when something behind it is down, and Apigee's SpikeArrest fault with
// HTTP 429 when a client asks too often.
import type { ServerResponse } from "node:http";
import type { Sim } from "./context";
import type { QueryBudget } from "./options";

export const GATEWAY_HTML = `<!DOCTYPE html>
<html><head><title>Service Temporarily Unavailable</title></head>
<body><h1>Service Temporarily Unavailable</h1>
<p>The server is temporarily unable to service your request. Please try again later.</p>
<hr><address>API Gateway</address></body></html>
`;

export function sendGatewayHtml(res: ServerResponse): void {
  res.writeHead(200, {
    "Content-Type": "text/html",
    "Content-Length": Buffer.byteLength(GATEWAY_HTML),
  });
  res.end(GATEWAY_HTML);
}

export function sendSpikeArrest(res: ServerResponse, budget: QueryBudget, retryAfterS: number) {
  const text = JSON.stringify({
    fault: {
      faultstring: `Spike arrest violation. Allowed rate : MessageRate{messagesPerPeriod=${budget.limit}, periodInMicroseconds=${budget.windowMs * 1000}, maxBurstMessageCount=${budget.burst}.0}`,
      detail: { errorcode: "policies.ratelimit.SpikeArrestViolation" },
    },
  });
  res.writeHead(429, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Retry-After": String(retryAfterS),
  });
  res.end(text);
}

/**
 * Takes one query from the SpikeArrest bucket (config.queryBudget): `burst` tokens, refilled one per
 * windowMs / limit on the simulator clock. Returns null when allowed, else seconds until a token.
 */
export function spendQueryBudget(sim: Sim): number | null {
  const budget = sim.config.queryBudget;
  if (!budget) return null;
  const now = sim.now();
  const intervalMs = budget.windowMs / budget.limit;
  const bucket = sim.state.queryBucket ?? { tokens: budget.burst, at: now };
  const refilled = Math.min(budget.burst, bucket.tokens + (now - bucket.at) / intervalMs);
  if (refilled >= 1) {
    sim.state.queryBucket = { tokens: refilled - 1, at: now };
    return null;
  }
  sim.state.queryBucket = { tokens: refilled, at: now };
  return Math.max(1, Math.ceil(((1 - refilled) * intervalMs) / 1000));
}
