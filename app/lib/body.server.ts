// Reads a request body with a byte limit, without buffering more than the limit (a 100 MB POST to a
// public webhook must not cost 100 MB of memory).
export async function readBodyLimited(
  request: Request,
  limit: number,
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
      if (size > limit) {
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
