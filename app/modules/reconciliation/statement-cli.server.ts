// `npm run cli -- statement:import FILE`: the console's upload, for operators and scripts.
import { stat } from "node:fs/promises";
import type { CliCommand } from "../../cli";
import { AppError } from "../../lib/app-error";
import { importStatementFile } from "./import.server";

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
      const result = await importStatementFile(ctx, {
        path: file,
        actor: { kind: "system", label: "cli" },
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
