// `npm run cli -- statement:import FILE`: the console's upload, for operators and scripts.
import { stat } from "node:fs/promises";
import type { CliCommand } from "./main";
import { AppError } from "../lib/app-error";
import { importStatementFile } from "../modules/reconciliation/import.server";

export const statementCliCommands: Record<string, CliCommand> = {
  "statement:import": {
    usage:
      "statement:import FILE                import an M-PESA org portal statement (CSV) and match it",
    async run(ctx, args) {
      const file = args.find((a) => !a.startsWith("-"));
      if (!file)
        throw new AppError("invalid_request", "Name the statement file: statement:import FILE");
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) throw new AppError("not_found", `No such file: ${file}`);
      // One progress line a second (and the last one), so a long import shows it is moving. The same
      // file already being imported by a server is followed there, its progress read from the database.
      let last = 0;
      const result = await importStatementFile(ctx, {
        path: file,
        actor: { kind: "system", label: "cli" },
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 1_000 && p.state !== "done") return;
          last = now;
          const n = (x: number) => x.toLocaleString("en-KE");
          const of = p.lines === null ? "" : ` of ${n(p.lines)}`;
          process.stdout.write(
            `${p.state}: ${n(p.parsed)} lines parsed, ${n(p.stored)} stored, ${n(p.matched)}${of} matched\n`,
          );
        },
      });
      process.stdout.write(`${result.message}\nImport ${result.importId}\n`);
      const byType = Object.entries(result.summary.match?.exceptionsByType ?? {});
      if (byType.length)
        process.stdout.write(
          `Exceptions opened: ${byType.map(([type, n]) => `${type} ${n}`).join(", ")}\n`,
        );
    },
  },
};
