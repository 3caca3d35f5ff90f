// Where to go after sign-in. `next` is resolved the way a browser would resolve it (so `/\evil.example`
// and `//evil` are seen as the other hosts they are) and kept only when it stays on our origin.
export function safeNext(next: unknown, origin: string): string {
  if (typeof next !== "string" || next === "" || next.length > 2000) return "/";
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return "/";
  }
  if (url.origin !== new URL(origin).origin) return "/";
  const path = url.pathname + url.search + url.hash;
  // A path that begins `//` would be read as another host when sent back as a Location.
  return path.startsWith("//") ? "/" : path;
}
