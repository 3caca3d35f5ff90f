// Daraja OAuth (docs/daraja.md#oauth): one token per Daraja app, shared by every instance through
// the database, because issuing a new token may invalidate the previous one. In-process callers
// share one refresh (single flight); across instances an advisory lock makes the refresh happen
// once.
import { eq, sql } from "drizzle-orm";
import { createHash } from "node:crypto";
import type { Db } from "../../../db/client";
import { darajaTokens } from "../../../db/schema";
import { classifyDarajaFailure, transportError } from "./errors";

const REFRESH_MARGIN_MS = 120_000; // refresh two minutes early: a token must not expire mid-request
const TOKEN_LOCK_KEY = 727_002;

export type OAuthDeps = {
  db: Db;
  baseUrl: string;
  consumerKey: string;
  consumerSecret: string;
  timeoutMs: number;
  now: () => Date;
  fetch: typeof fetch;
  record: (call: {
    httpStatus: number | null;
    durationMs: number;
    outcome: string;
    errorCode?: string;
    message?: string;
    darajaRequestId?: string;
  }) => Promise<void>;
};

export type TokenSource = {
  getToken(): Promise<string>;
  invalidate(badToken: string): Promise<void>;
};

export function createTokenSource(deps: OAuthDeps): TokenSource {
  const id = createHash("sha256")
    .update(`${deps.baseUrl}|${deps.consumerKey}`)
    .digest("hex")
    .slice(0, 32);
  let cached: { token: string; expiresAt: number } | null = null;
  let inflight: Promise<string> | null = null;

  const fresh = (expiresAt: number) => expiresAt - REFRESH_MARGIN_MS > deps.now().getTime();

  async function requestToken(): Promise<{
    token: string;
    expiresAt: Date;
    call: Parameters<OAuthDeps["record"]>[0];
  }> {
    const started = Date.now();
    const basic = Buffer.from(`${deps.consumerKey}:${deps.consumerSecret}`).toString("base64");
    let response: Response;
    try {
      response = await deps.fetch(
        `${deps.baseUrl}/oauth/v1/generate?grant_type=client_credentials`,
        {
          headers: { Authorization: `Basic ${basic}` },
          signal: AbortSignal.timeout(deps.timeoutMs),
        },
      );
    } catch (cause) {
      const error = transportError("oauth", cause, isTimeout(cause));
      throw Object.assign(error, {
        call: {
          httpStatus: null,
          durationMs: Date.now() - started,
          outcome: "transport_error",
          message: error.message,
        },
      });
    }
    const body = await readJson(response);
    const durationMs = Date.now() - started;
    const token = (body as { access_token?: unknown } | null)?.access_token;
    // expires_in is "3599" (string) on the wire and 3599 in newer docs: accept both.
    const expiresIn = Number((body as { expires_in?: unknown } | null)?.expires_in);
    if (response.ok && typeof token === "string" && token && Number.isFinite(expiresIn)) {
      return {
        token,
        expiresAt: new Date(deps.now().getTime() + expiresIn * 1000),
        call: { httpStatus: response.status, durationMs, outcome: "ok" },
      };
    }
    const error = classifyDarajaFailure("oauth", response.status, body);
    throw Object.assign(error, {
      call: {
        httpStatus: response.status,
        durationMs,
        outcome: "error",
        errorCode: error.darajaErrorCode,
        message: error.message,
        darajaRequestId: error.requestId,
      },
    });
  }

  async function refresh(): Promise<string> {
    let call: Parameters<OAuthDeps["record"]>[0] | undefined;
    try {
      // The transaction holds the lock while we ask Daraja, so a second instance waits and then reads
      // our token instead of issuing one that would invalidate it. Nothing else may use `db` inside:
      // PGlite has one connection and would wait for this very transaction.
      const result = await deps.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${TOKEN_LOCK_KEY})`);
        const [row] = await tx.select().from(darajaTokens).where(eq(darajaTokens.id, id));
        if (row && fresh(row.expiresAt.getTime()))
          return { token: row.accessToken, expiresAt: row.expiresAt };
        const issued = await requestToken();
        call = issued.call;
        const values = {
          accessToken: issued.token,
          expiresAt: issued.expiresAt,
          updatedAt: deps.now(),
        };
        await tx
          .insert(darajaTokens)
          .values({ id, ...values })
          .onConflictDoUpdate({ target: darajaTokens.id, set: values });
        return issued;
      });
      cached = { token: result.token, expiresAt: result.expiresAt.getTime() };
      return result.token;
    } catch (error) {
      call ??= (error as { call?: Parameters<OAuthDeps["record"]>[0] }).call;
      throw error;
    } finally {
      if (call) await deps.record(call);
    }
  }

  return {
    async getToken() {
      if (cached && fresh(cached.expiresAt)) return cached.token;
      inflight ??= refresh().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    async invalidate(badToken) {
      if (cached?.token === badToken) cached = null;
      // Only expire the shared row if nobody has replaced it already.
      await deps.db
        .update(darajaTokens)
        .set({ expiresAt: new Date(0) })
        .where(sql`${darajaTokens.id} = ${id} and ${darajaTokens.accessToken} = ${badToken}`);
    },
  };
}

export function isTimeout(cause: unknown): boolean {
  const name = (cause as { name?: string } | null)?.name;
  return name === "TimeoutError" || name === "AbortError";
}

export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { unparsed: text.slice(0, 500) };
  }
}
