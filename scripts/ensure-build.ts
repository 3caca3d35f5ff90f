// `npm start`'s first step: build the app only when there is no build or its sources changed since,
// so starting a second instance from the same checkout serves the existing build instead of rewriting
// build/ under the first. A lock directory keeps two starts from building at the same time.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const SOURCES = ["app", "db", "jobs", "simulator", "public"];
const FILES = ["remix.config.js", "tsconfig.json", "package-lock.json"];
const STAMP = join(ROOT, "build", ".source-hash");
const LOCK = join(ROOT, ".build-lock");

function filesUnder(dir: string): string[] {
  // A fresh clone has no public/ until the first build writes public/build.
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "build" ? [] : filesUnder(path); // public/build is output
    return /\.test\.tsx?$/.test(entry.name) ? [] : [path];
  });
}

export function sourceHash(): string {
  const hash = createHash("sha256");
  const files = [...SOURCES.flatMap((d) => filesUnder(d)), ...FILES].sort();
  for (const file of files)
    hash
      .update(file)
      .update("\0")
      .update(readFileSync(join(ROOT, file)));
  return hash.digest("hex");
}

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
};

const isCurrent = (hash: string) =>
  read(STAMP) === hash && statSync(join(ROOT, "build", "index.js"), { throwIfNoEntry: false });

function holderAlive(): boolean {
  const pid = Number(read(join(LOCK, "pid")));
  if (!pid) return (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0) > Date.now() - 10_000;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const FORCE = process.argv.includes("--force"); // `npm run build`: always build (and stamp it)

async function main() {
  for (let first = true; ; first = false) {
    const hash = sourceHash();
    if (isCurrent(hash) && !(FORCE && first)) return;
    try {
      mkdirSync(LOCK);
    } catch {
      // Someone else is building: wait for them, then look again. A lock left by a dead build is cleared.
      if (!holderAlive()) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      writeFileSync(join(LOCK, "pid"), String(process.pid));
      const current = sourceHash();
      if (isCurrent(current) && !FORCE) return;
      process.stdout.write("Building the app (sources changed or no build yet)…\n");
      const result = spawnSync(join(ROOT, "node_modules", ".bin", "remix"), ["build"], {
        cwd: ROOT,
        stdio: "inherit",
      });
      if (result.status !== 0) process.exit(result.status ?? 1);
      writeFileSync(STAMP, current);
      return;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

await main();
