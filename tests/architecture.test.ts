// The house rules a reviewer would otherwise have to remember (STYLE.md): thin routes, server code
// only in *.server files, process.env in one place, a simulator that knows nothing of the app.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

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
        f !== "app/cli.ts" &&
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
