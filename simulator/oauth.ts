// OAuth (docs/daraja.md#oauth): HTTP Basic in, a 28-character token out with `expires_in` as a
// string. Token expiry runs on the simulator clock, so a test can age tokens with a clock offset.
import type { Exchange, Sim } from "./context";
import { ERRORS, sendDarajaError } from "./daraja-errors";
import { sendJson } from "./http-io";
import { makeAccessToken } from "./ids";

export function handleOauth(sim: Sim, ex: Exchange): void {
  if (ex.url.searchParams.get("grant_type") !== "client_credentials") {
    return sendDarajaError(sim, ex, ERRORS.invalidGrantType);
  }
  if (!hasValidBasicAuth(sim, ex.req.headers.authorization)) {
    return sendDarajaError(sim, ex, ERRORS.invalidAuthentication);
  }
  const token = makeAccessToken(sim.rng);
  const ttl = sim.config.tokenTtlSeconds;
  sim.state.tokens.set(token, sim.now() + ttl * 1000);
  sim.state.counts.tokensIssued++;
  sendJson(ex.res, 200, { access_token: token, expires_in: String(ttl) });
}

function hasValidBasicAuth(sim: Sim, header: string | undefined): boolean {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!match) return false;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  return (
    decoded.slice(0, colon) === sim.creds.consumerKey &&
    decoded.slice(colon + 1) === sim.creds.consumerSecret
  );
}

export function hasValidBearer(sim: Sim, header: string | undefined): boolean {
  const match = /^Bearer\s+(\S+)$/.exec(header ?? "");
  if (!match) return false;
  const expiresAt = sim.state.tokens.get(match[1]);
  return expiresAt !== undefined && expiresAt > sim.now();
}

export function liveTokenCount(sim: Sim): number {
  const now = sim.now();
  let live = 0;
  for (const expiresAt of sim.state.tokens.values()) if (expiresAt > now) live++;
  return live;
}
