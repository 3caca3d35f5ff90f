// Reads a request body with a byte limit, without buffering more than the limit (a 100 MB POST to a
// public webhook must not cost 100 MB of memory). Past the limit the rest is read and dropped, up to
// `drainUpTo`, so the sender gets our 413 instead of a connection reset in the middle of its upload.
export const DRAIN_UP_TO = 4 * 1024 * 1024;

export async function readBodyLimited(
  request: Request,
  limit: number,
  drainUpTo = DRAIN_UP_TO,
): Promise<{ bytes: Uint8Array; size: number; tooLarge: boolean }> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (kept < limit) {
        const slice = value.subarray(0, limit - kept);
        chunks.push(slice);
        kept += slice.byteLength;
      }
      if (size > Math.max(limit, drainUpTo)) {
        await reader.cancel().catch(() => {});
        break;
      }
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
