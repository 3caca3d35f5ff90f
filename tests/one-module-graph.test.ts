// Issue 10 item 1: production must be one module graph, and the errors that decide what a person is
// told must be recognised whichever copy of their module threw them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return filesUnder(path);
    return /\.(ts|tsx)$/.test(entry) && !/\.test\.tsx?$/.test(entry) ? [path] : [];
  });
}

it("a DarajaError or AppError from a second copy of its module is still recognised", async () => {
  const first = await import("../app/modules/daraja/errors");
  const firstApp = await import("../app/lib/app-error");
  vi.resetModules();
  // A query string makes the loader evaluate the file again: a second copy, as in the old production.
  const again = (path: string) => import(/* @vite-ignore */ `${path}?copy=2`);
  const second = (await again("../app/modules/daraja/errors")) as typeof first;
  const secondApp = (await again("../app/lib/app-error")) as typeof firstApp;
  expect(second.DarajaError).not.toBe(first.DarajaError); // really two copies

  const refusal = new second.DarajaError({
    kind: "busy",
    message: second.DARAJA_MESSAGES.busy,
    endpoint: "push",
    retryable: true,
    outcomeUnknown: false,
  });
  expect(refusal instanceof first.DarajaError).toBe(false); // what broke production
  expect(first.isDarajaError(refusal)).toBe(true);
  expect(first.isDarajaError(new Error("busy"))).toBe(false);
  expect(first.isDarajaError({ name: "DarajaError", kind: "busy" })).toBe(false);

  const appError = new secondApp.AppError("forbidden", "No.", { status: 403 });
  expect(firstApp.isAppError(appError)).toBe(true);
  expect(firstApp.isAppError(refusal)).toBe(false);
  expect(first.isDarajaError(appError)).toBe(false);
});

it("no code decides on `instanceof AppError` or `instanceof DarajaError`", () => {
  const offenders = [...filesUnder("app"), ...filesUnder("jobs"), "server.ts"].filter((file) =>
    /instanceof\s+(AppError|DarajaError)\b/.test(
      readFileSync(join(ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ""),
    ),
  );
  expect(offenders).toEqual([]);
});

it("the server entry takes the app from the build and imports nothing of app/, db/, jobs/ or simulator/ itself", () => {
  const server = readFileSync(join(ROOT, "server.ts"), "utf8");
  const valueImports = [...server.matchAll(/^import\s+(?!type\b)[^;]*?from\s+["']([^"']+)["']/gm)]
    .map((m) => m[1])
    .filter((path) => path.startsWith("."));
  expect(valueImports).toEqual([]);
  expect(server).toContain("build.entry.module");
});
