// The context every loader, action and job receives: built once per process (or per test) and
// handed to Remix through getLoadContext. Domain functions take it (or just `db`) first.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { openDatabase, type Database, type Db } from "../db/client";
import { migrate } from "../db/migrate";
import type { Config } from "./config.server";
import { createLog, type Log } from "./lib/log.server";
import {
  createCallbackApplier,
  type ApplyGate,
  type CallbackApplier,
} from "./modules/callbacks/queue.server";
import { createRawLogWriter, type RawLogWriter } from "./modules/callbacks/raw-log-writer.server";
import { createDarajaClient, type DarajaClient } from "./modules/daraja/client.server";

export type AppContext = {
  db: Db;
  config: Config;
  daraja: DarajaClient;
  log: Log;
  now: () => Date;
  /** Names this process in leases and poller runs. */
  instanceId: string;
  /** Applies stored callbacks off the request path (see callbacks/queue.server.ts). */
  callbackQueue: CallbackApplier;
  /** Stores incoming callbacks' raw rows, many per insert under a burst (raw-log-writer.server.ts). */
  rawLog: RawLogWriter;
};

export type ContextOptions = {
  database?: Database;
  log?: Log;
  now?: () => Date;
  fetch?: typeof fetch;
  migrate?: boolean;
  /** Replaces the in-process applier (server.ts: the applier child process, applier-process.server.ts). */
  callbackApplier?: CallbackApplier;
  /** Asked before each batch the in-process applier claims (the applier child's burst gate). */
  applyGate?: ApplyGate;
  /**
   * The applier child (server.ts): its pool is sized to its workers rather than DATABASE_POOL_MAX, and
   * its connections are named apart in pg_stat_activity.
   */
  applierChild?: boolean;
};

/** Batches applied side by side on PostgreSQL, each in a transaction of its own. */
const PG_APPLIER_WORKERS = 4;
/** The applier child's pool: a connection per worker, and one for its sweeps between batches. */
export const APPLIER_POOL_MAX = PG_APPLIER_WORKERS + 1;

export async function createContext(
  config: Config,
  options: ContextOptions = {},
): Promise<{ ctx: AppContext; database: Database }> {
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.database.url,
      dataDir: config.database.dataDir,
      ...(options.applierChild
        ? {
            poolMax: Math.min(config.database.poolMax, APPLIER_POOL_MAX),
            applicationName: "mpesa-console applier",
          }
        : { poolMax: config.database.poolMax }),
    }));
  if (options.migrate ?? true) await migrate(database.db);
  const now = options.now ?? (() => new Date());
  const log = options.log ?? createLog(config.logLevel);
  const ctx: AppContext = {
    db: database.db,
    config,
    log,
    callbackQueue: null as unknown as CallbackApplier, // set below: it needs the context itself
    rawLog: createRawLogWriter(database.db),
    now,
    instanceId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    daraja: createDarajaClient({ db: database.db, mpesa: config.mpesa, now, fetch: options.fetch }),
  };
  // PGlite is one connection: short batches, one worker, so requests are not held behind a batch.
  // On PostgreSQL a batch costs about 15 statements whatever its size (README, "Where intake time
  // goes"): at 25 per batch, applying fell behind the acknowledgements under 32 senders; at 100 it
  // keeps pace. A quiet stream still makes batches of one or two, so nothing waits to fill one.
  ctx.callbackQueue =
    options.callbackApplier ??
    createCallbackApplier(
      ctx,
      database.driver === "pglite"
        ? { workers: 1, batch: 10, gate: options.applyGate }
        : { workers: PG_APPLIER_WORKERS, batch: 100, gate: options.applyGate },
    );
  return { ctx, database };
}

declare module "@remix-run/node" {
  interface AppLoadContext extends AppContext {}
}
