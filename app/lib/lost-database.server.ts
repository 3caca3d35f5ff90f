// postgres.js 3.4.9 has a known bug (porsager/postgres issues 1154 and 1208, unreleased fix): when the
// database connection drops mid-transaction, the driver's own ROLLBACK is buffered for a
// `setImmediate` write that runs after the socket is gone, and throws
// `TypeError: Cannot read properties of null (reading 'write')` from `nextWrite` — outside any query,
// so no caller can catch it, and Node ends the process on the spot. The connection it came from is
// left unusable (its write buffer never flushes again), so carrying on as if nothing happened is not
// safe either. `guardLostDatabase` turns exactly this error into a logged, graceful shutdown: stop
// accepting, drain for the bounded time, exit non-zero so the supervisor restarts the process with
// fresh connections. Nothing acknowledged is lost (the raw log is the queue). Any other uncaught
// error still ends the process at once, as Node would.
import { describeError } from "./error-log.server";
import type { Log } from "./log.server";

export function isLostDatabaseWrite(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /\(reading 'write'\)/.test(error.message) &&
    /at (?:Immediate\.)?nextWrite \([^)]*[\\/]postgres[\\/](?:cjs[\\/])?src[\\/]connection\.js/.test(
      error.stack ?? "",
    )
  );
}

export function guardLostDatabase(
  log: Log,
  onLostDatabase: () => void,
  proc: Pick<NodeJS.Process, "on" | "exit" | "stderr"> = process,
): void {
  let reported = false;
  proc.on("uncaughtException", (error) => {
    if (!isLostDatabaseWrite(error)) {
      // As a log line would say it: a failed query's parameters and any phone number stay out.
      proc.stderr.write(`Uncaught exception: ${JSON.stringify(describeError(error))}\n`);
      proc.exit(1);
      return;
    }
    // One line per process: a pool of connections dying together throws once per connection.
    if (!reported)
      log.error(
        { err: { type: error.name, message: error.message } },
        "lost the database connection mid-query (postgres.js); shutting down gracefully so a restart gets fresh connections",
      );
    reported = true;
    onLostDatabase();
  });
}
