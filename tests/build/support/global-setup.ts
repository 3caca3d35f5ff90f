// Before the build suite: the build must exist and be newer than the source it was built from (a
// stale build would test yesterday's code), and PostgreSQL must answer.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { ADMIN_URL, ROOT } from "./server";

function newestMtime(dir: string): { file: string; mtime: number } {
  let newest = { file: dir, mtime: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory()
      ? newestMtime(path)
      : { file: path, mtime: statSync(path).mtimeMs };
    if (found.mtime > newest.mtime) newest = found;
  }
  return newest;
}

export default async function setup() {
  const build = join(ROOT, "build", "index.js");
  if (!existsSync(build))
    throw new Error("build/index.js is missing: run `npm run build` before `npm run test:build`.");
  const source = newestMtime(join(ROOT, "app"));
  if (source.mtime > statSync(build).mtimeMs)
    throw new Error(
      `The build is older than ${source.file}: run \`npm run build\` before \`npm run test:build\`.`,
    );
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin`select 1`;
  } catch (error) {
    throw new Error(
      `PostgreSQL does not answer at ${ADMIN_URL.replace(/\/\/[^@]*@/, "//…@")} (set TEST_DATABASE_URL): ${(error as Error).message}`,
    );
  } finally {
    await admin.end();
  }
}
