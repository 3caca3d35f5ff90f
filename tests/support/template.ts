import { createHash } from "node:crypto";
import { readMigrations } from "../../db/migrate";

/** Named after the migrations' content, so a changed migration gets a fresh template. */
export const TEMPLATE_DATABASE = `console_test_template_${createHash("sha256")
  .update(
    readMigrations()
      .map((m) => m.hash)
      .join(),
  )
  .digest("hex")
  .slice(0, 12)}`;
