// Reads a request body with a byte limit, without buffering more than the limit (a 100 MB POST to a
// public webhook must not cost 100 MB of memory). Past the limit the rest is read and dropped, up to
// `drainUpTo`, so the sender gets our 413 instead of a connection reset in the middle of its upload.
import type { IncomingMessage } from "node:http";

export const DRAIN_UP_TO = 4 * 1024 * 1024;

export type LimitedBody = { bytes: Uint8Array; size: number; tooLarge: boolean };

/** What a body reader needs of a request's headers: a web Request's Headers, or nodeHeaders(). */
export type HeaderReader = { get(name: string): string | null };

export function readBodyLimited(
  request: { headers: HeaderReader; body: ReadableStream<Uint8Array> | null },
  limit: number,
  drainUpTo = DRAIN_UP_TO,
): Promise<LimitedBody> {
  const reader = request.body?.getReader();
  return collectLimited(
    request.headers,
    reader
      ? {
          next: async () => {
            const { done, value } = await reader.read();
            return done ? null : value;
          },
          cancel: () => reader.cancel(),
        }
      : null,
    limit,
    drainUpTo,
  );
}

/** readBodyLimited for a node:http request (server.ts answers Daraja's hooks without Remix). */
export function readNodeBodyLimited(
  request: IncomingMessage,
  limit: number,
  drainUpTo = DRAIN_UP_TO,
): Promise<LimitedBody> {
  const chunks = request[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return collectLimited(
    nodeHeaders(request),
    {
      next: async () => {
        const { done, value } = await chunks.next();
        return done ? null : value;
      },
      cancel: async () => {
        await chunks.return?.();
      },
    },
    limit,
    drainUpTo,
  );
}

/** A node:http request's headers read the way a web Request's are (a repeated header joined by ", "). */
export function nodeHeaders(request: IncomingMessage): HeaderReader {
  return {
    get(name) {
      const value = request.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

async function collectLimited(
  headers: HeaderReader,
  source: { next(): Promise<Uint8Array | null>; cancel(): Promise<void> } | null,
  limit: number,
  drainUpTo: number,
): Promise<LimitedBody> {
  const declared = Number(headers.get("content-length") ?? "NaN");
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let size = 0;
  for (let value = await source?.next(); source && value; value = await source.next()) {
    size += value.byteLength;
    if (kept < limit) {
      const slice = value.subarray(0, limit - kept);
      chunks.push(slice);
      kept += slice.byteLength;
    }
    if (size > Math.max(limit, drainUpTo)) {
      await source.cancel().catch(() => {});
      break;
    }
  }
  const bytes = new Uint8Array(kept);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  const total = Number.isFinite(declared) ? Math.max(declared, size) : size;
  return { bytes, size: total, tooLarge: total > limit };
}

/** Thrown by a capped body's stream once more than its limit has arrived. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the request body is larger than ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * The same request with a body that stops at `limit` bytes: reading past it (formData(), json(), a
 * multipart parser) fails with BodyTooLargeError instead of buffering whatever a client sends. As
 * readBodyLimited does, the rest is read and dropped (up to `drainUpTo` more) before the error, so the
 * sender gets our 413: failing at once cancels the request's stream, and the socket is reset instead.
 */
export function capBody(request: Request, limit: number, drainUpTo = DRAIN_UP_TO): Request {
  if (!request.body) return request;
  let seen = 0;
  const body = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen <= limit) controller.enqueue(chunk);
        else if (seen > limit + drainUpTo) controller.error(new BodyTooLargeError(limit));
      },
      flush(controller) {
        if (seen > limit) controller.error(new BodyTooLargeError(limit));
      },
    }),
  );
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    duplex: "half",
  } as RequestInit);
}

/** True when `error` (or what it wraps) is a capped body running over its limit. */
export function isBodyTooLarge(error: unknown): boolean {
  for (
    let e = error as { cause?: unknown } | undefined, i = 0;
    e && i < 4;
    e = e.cause as typeof e, i++
  )
    if (e instanceof BodyTooLargeError) return true;
  return false;
}
