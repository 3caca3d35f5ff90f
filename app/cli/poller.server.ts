// `npm run cli -- reconcile:once [--limit N]`: one poller sweep now, for operators and tests
// (docs/daraja.md#stk-query).
import { parseArgs } from "node:util";
import type { CliCommand } from "./main";
import { formatEat } from "../lib/time";
import { sweepDuePayments } from "../modules/payments/poller.server";

export const pollerCommands: Record<string, CliCommand> = {
  "reconcile:once": {
    usage:
      "reconcile:once [--limit N]        ask M-Pesa (STK Query) about every due pending payment now",
    async run(ctx, args) {
      const { values } = parseArgs({ args, options: { limit: { type: "string" } } });
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
        throw new Error("--limit must be a positive whole number");
      const s = await sweepDuePayments(ctx, { trigger: "cli", limit });
      const seconds = ((s.finishedAt.getTime() - s.startedAt.getTime()) / 1000).toFixed(1);
      const lines = [
        `Sweep ${s.status} (run #${s.runId ?? "?"}, ${seconds} s): ${s.due} due, ${s.queried} queried, ${s.changed} changed, ${s.gaveUp} given up, ${s.errors} errors`,
        ...(s.released ? [`${s.released} claimed attempts were handed back unasked`] : []),
        ...(s.backoffUntil
          ? [`M-Pesa rate limit: the poller is paused until ${formatEat(s.backoffUntil)}`]
          : []),
        ...(s.error ? [`Note: ${s.error}`] : []),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
      if (s.status === "failed") process.exitCode = 1;
    },
  },
};
