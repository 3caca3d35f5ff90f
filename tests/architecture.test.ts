// The house rules a reviewer would otherwise have to remember (STYLE.md): thin routes, server code
// only in *.server files, process.env in one place, a simulator that knows nothing of the app.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const ROOT = join(import.meta.dirname, "..");

function filesUnder(dir: string, pattern = /\.(ts|tsx)$/): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir))) {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...filesUnder(path, pattern));
    else if (pattern.test(entry)) out.push(path);
  }
  return out;
}

const source = (file: string) => readFileSync(join(ROOT, file), "utf8");
const imports = (file: string) =>
  [...source(file).matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gm)].map(
    (m) => m[1],
  );
const isTest = (file: string) => /\.test\.tsx?$/.test(file);

/** Files this file loads at run time: static imports, re-exports and `import()`; type-only imports
 * are erased by the compiler, so they are left out. Paths are resolved to files in the tree. */
function runtimeImports(file: string): string[] {
  const out: string[] = [];
  const pattern =
    /^\s*(?:import|export)(\s+type)?\s+([^;]*?)\s+from\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;
  for (const m of source(file).matchAll(pattern)) {
    if (m[1]) continue;
    const braces = m[2]?.match(/^\{([^}]*)\}$/);
    if (braces && braces[1].split(",").every((name) => /^\s*(type\s|$)/.test(name))) continue;
    const spec = m[3] ?? m[4];
    const base = spec.startsWith("~/")
      ? join("app", spec.slice(2))
      : spec.startsWith(".")
        ? join(dirname(file), spec)
        : null;
    if (!base) continue;
    const found = [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")].find(
      (c) => existsSync(join(ROOT, c)) && statSync(join(ROOT, c)).isFile(),
    );
    if (found) out.push(found);
  }
  return out;
}

/** The folder a file belongs to, for the cycle check: one node per domain module, per app/ folder,
 * and per top-level folder; app/'s own files (config, context, CLI) each stand alone. The seed scripts fill a database through the domain, as the CLI does,
 * so they sit above it rather than inside db/. */
function folderOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] === "app" && parts[1] === "modules")
    return parts.length > 3 ? `modules/${parts[2]}` : `modules/${parts[2].replace(/\..*$/, "")}`;
  if (parts[0] === "app") return parts.length > 2 ? parts[1] : file; // config, context, cli: apart
  if (parts[0] === "db" && /^seed/.test(parts[1])) return "db/seed";
  return parts[0];
}

/** Imports allowed to close a cycle between folders: none. The money gate (app/modules/ledger/)
 * broke the last ones; an entry added here must say why, and the test says when one is stale. */
const CYCLE_ALLOW_LIST: string[] = [];

describe("architecture", () => {
  const appFiles = filesUnder("app").filter((f) => !isTest(f));

  it("routes never touch the database directly", () => {
    const offenders = filesUnder("app/routes").flatMap((file) =>
      imports(file)
        .filter((i) => /^drizzle-orm|^postgres$|^@electric-sql|\/db\/|^\.\.\/\.\.\/db/.test(i))
        .map((i) => `${file} imports ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it("only config.server.ts reads process.env", () => {
    const offenders = [...appFiles, ...filesUnder("db"), ...filesUnder("jobs")].filter(
      (f) => !isTest(f) && f !== "app/config.server.ts" && /process\.env/.test(source(f)),
    );
    expect(offenders).toEqual([]);
  });

  it("pure modules and components import no server code, database or node: built-ins", () => {
    const pure = appFiles.filter(
      (f) =>
        !/\.server\.tsx?$/.test(f) &&
        !f.startsWith("app/routes/") &&
        f !== "app/cli/main.ts" &&
        f !== "app/root.tsx",
    );
    const offenders = pure.flatMap((file) =>
      imports(file)
        .filter(
          (i) =>
            /\.server$|\.server\.tsx?$|^node:|\/db\/(client|migrate)|^drizzle-orm|^postgres$/.test(
              i,
            ) && !/^\.\.?\/.*schema$|db\/schema$/.test(i),
        )
        .map((i) => `${file} imports ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it("the simulator imports nothing from the app", () => {
    const offenders = filesUnder("simulator").flatMap((file) =>
      imports(file)
        .filter((i) => /\.\.\/(app|db|jobs)\//.test(i) || i.startsWith("~/"))
        .map((i) => `${file} imports ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it("has no import cycle between folders, static or dynamic", () => {
    const files = [
      ...appFiles,
      ...filesUnder("db"),
      ...filesUnder("jobs"),
      ...filesUnder("simulator"),
    ].filter((f) => !isTest(f) && !f.includes("migrations/"));
    const edges = new Map<string, Map<string, string[]>>(); // folder → folder → file edges
    const seen = new Set<string>();
    for (const file of files)
      for (const target of runtimeImports(file)) {
        const edge = `${file} -> ${target}`;
        seen.add(edge);
        const [from, to] = [folderOf(file), folderOf(target)];
        if (from === to || CYCLE_ALLOW_LIST.includes(edge)) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        const byTarget = edges.get(from)!;
        byTarget.set(to, [...(byTarget.get(to) ?? []), edge]);
      }
    // A folder is in a cycle when it can reach itself; report each cycle's first step's imports.
    const reaches = (from: string, goal: string, visited = new Set<string>()): boolean =>
      [...(edges.get(from)?.keys() ?? [])].some(
        (next) =>
          next === goal ||
          (!visited.has(next) && (visited.add(next), reaches(next, goal, visited))),
      );
    const cycles = [...edges].flatMap(([from, targets]) =>
      [...targets]
        .filter(([to]) => reaches(to, from))
        .map(([to, via]) => `${from} → ${to} (${via.join("; ")}) and back`),
    );
    expect(cycles).toEqual([]);
    expect(CYCLE_ALLOW_LIST.filter((edge) => !seen.has(edge))).toEqual([]);
  });

  it("only the ledger writes payments, receipts, cases and attempt statuses", () => {
    // The money gate (app/modules/ledger/) is the one writer of these aggregates. Elsewhere: no
    // update of payments, receipts or exceptions, no insert of receipts or exceptions, and no update
    // of stk_attempts that sets a status, receipt or result (poll bookkeeping is the poller's own).
    // The demo seed (db/seed*.ts) back-dates rows it made through the ledger and is exempt.
    const forbidden = /\.(update|insert)\((payments|receipts|exceptions)\)/g;
    const offenders = [...appFiles, ...filesUnder("db"), ...filesUnder("jobs")]
      .filter((f) => !isTest(f) && !f.startsWith("app/modules/ledger/") && !/^db\/seed/.test(f))
      .flatMap((file) => {
        const text = source(file);
        const found: string[] = [];
        for (const m of text.matchAll(forbidden)) {
          if (m[1] === "insert" && m[2] === "payments") continue; // a new payment is created by initiate
          found.push(`${file}: .${m[1]}(${m[2]})`);
        }
        for (const m of text.matchAll(/\.update\(stkAttempts\)\s*\.set\(\{([\s\S]*?)\}\)/g))
          if (/\b(status|receipt|resultCode)\s*:/.test(m[1]))
            found.push(`${file}: stk_attempts status/receipt/result written outside the ledger`);
        return found;
      });
    expect(offenders).toEqual([]);
  });

  it("only the request gate changes an initiator request's state", () => {
    // app/modules/money-out/request-writer.server.ts checks every move against request-states.ts.
    // Elsewhere a request is only inserted, in one of its first states.
    const offenders = [...appFiles, ...filesUnder("db"), ...filesUnder("jobs")]
      .filter((f) => !isTest(f) && f !== "app/modules/money-out/request-writer.server.ts")
      .flatMap((file) => {
        const text = source(file);
        const found: string[] = [];
        if (/\.update\(darajaRequests\)|update\s+daraja_requests/i.test(text))
          found.push(`${file}: updates daraja_requests`);
        for (const m of text.matchAll(/\.insert\(darajaRequests\)\s*\.values\(\{([\s\S]*?)\}\)/g)) {
          const state = /\bstate:\s*"([a-z_]+)"/.exec(m[1])?.[1];
          if (state !== "sending" && state !== "awaiting_approval")
            found.push(`${file}: inserts a request as ${state ?? "an unnamed state"}`);
        }
        return found;
      });
    expect(offenders).toEqual([]);
  });

  it("keeps files small enough to live in (≤ 400 lines outside tests)", () => {
    const big = [
      ...appFiles,
      ...filesUnder("db"),
      ...filesUnder("jobs"),
      ...filesUnder("simulator"),
    ]
      .filter((f) => !isTest(f) && !f.includes("migrations/"))
      .map((f) => ({ f, lines: source(f).split("\n").length }))
      .filter(({ lines }) => lines > 400)
      .map(({ f, lines }) => `${relative(ROOT, join(ROOT, f))} (${lines} lines)`);
    expect(big).toEqual([]);
  });
});
