// Operators' command line: `npm run cli -- <command> [--flags]`. Works on the same database the
// server uses (DATABASE_URL, or the PGlite files under DATA_DIR — stop the server first for PGlite,
// which allows one process at a time).
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { migrate } from "../../db/migrate";
import { seedDemoData } from "../../db/seed";
import { ROLES } from "../../db/schema";
import { configFromProcessEnv, ConfigError } from "../config.server";
import { createContext, type AppContext } from "../context.server";
import { createLog } from "../lib/log.server";
import { createApiKey, listApiKeys } from "../modules/auth/api-keys.server";
import { SYSTEM_ACTOR, type Actor } from "../modules/auth/staff-audit.server";
import { createUser, listUsers } from "../modules/auth/users.server";
import { cliCommands as extraCommands } from "./commands.server";

export type CliCommand = { usage: string; run(ctx: AppContext, args: string[]): Promise<void> };

const CLI_ACTOR: Actor = { ...SYSTEM_ACTOR, label: "cli" };
const out = (line = "") => process.stdout.write(`${line}\n`);

async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

const commands: Record<string, CliCommand> = {
  "db:migrate": {
    usage: "db:migrate                       apply pending migrations",
    async run(ctx) {
      const applied = await migrate(ctx.db);
      out(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
    },
  },
  "db:seed": {
    usage:
      "db:seed                          create the demo users and demo activity (simulator/sandbox only)",
    async run(ctx) {
      const result = await seedDemoData(ctx);
      out(
        result.created
          ? "Demo users created:"
          : "Users already exist; demo logins (if they were seeded):",
      );
      for (const u of result.logins) out(`  ${u.role.padEnd(8)} ${u.email}  ${u.password}`);
    },
  },
  "user:create": {
    usage: `user:create --email E --role (${ROLES.join("|")}) [--name N] [--password P]   (prompts for the password if omitted)`,
    async run(ctx, args) {
      const { values } = parseArgs({
        args,
        options: {
          email: { type: "string" },
          role: { type: "string" },
          name: { type: "string" },
          password: { type: "string" },
        },
      });
      const password = values.password ?? (await prompt("Password (at least 10 characters): "));
      const user = await createUser(
        ctx.db,
        {
          email: values.email ?? "",
          role: values.role as never,
          name: values.name ?? values.email ?? "",
          password,
        },
        CLI_ACTOR,
      );
      out(`Created ${user.role} ${user.email} (${user.id})`);
    },
  },
  "user:list": {
    usage: "user:list                        list staff accounts",
    async run(ctx) {
      for (const u of await listUsers(ctx.db))
        out(
          `${u.role.padEnd(8)} ${u.email.padEnd(32)} ${u.name}${u.disabledAt ? "  (disabled)" : ""}`,
        );
    },
  },
  "apikey:create": {
    usage: `apikey:create --name N --role (${ROLES.join("|")})   prints the key once`,
    async run(ctx, args) {
      const { values } = parseArgs({
        args,
        options: { name: { type: "string" }, role: { type: "string" } },
      });
      const { key, apiKey } = await createApiKey(
        ctx.db,
        { name: values.name ?? "", role: values.role as never },
        CLI_ACTOR,
      );
      out(
        `Created API key "${apiKey.name}" (${apiKey.role}). It is shown only now; store it safely:`,
      );
      out(key);
    },
  },
  "apikey:list": {
    usage: "apikey:list                      list API keys (never the keys themselves)",
    async run(ctx) {
      for (const k of await listApiKeys(ctx.db))
        out(`${k.prefix}…  ${k.role.padEnd(8)} ${k.name}${k.revokedAt ? "  (revoked)" : ""}`);
    },
  },
  ...extraCommands,
};

function usage() {
  out("Usage: npm run cli -- <command> [options]\n");
  for (const c of Object.values(commands)) out(`  ${c.usage}`);
}

async function main() {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    usage();
    process.exit(name ? 2 : 0);
  }
  let config;
  try {
    config = configFromProcessEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { ctx, database } = await createContext(config, { log: createLog("warn") });
  try {
    await command.run(ctx, args);
  } catch (error) {
    process.stderr.write(
      `${name} failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}

void main();
