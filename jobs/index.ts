// Every scheduled job of the process, registered once. Jobs are thin: a schedule and one call.
import type { AppContext } from "../app/context.server";

export type Jobs = { stop(): Promise<void> };

export function startJobs(_ctx: AppContext): Jobs {
  return { stop: async () => {} };
}
