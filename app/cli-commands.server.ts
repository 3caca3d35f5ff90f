// CLI commands that belong to later domains (poller, statements, C2B) register here.
import type { CliCommand } from "./cli";
import { pollerCommands } from "./modules/payments/poller.cli.server";
import { c2bCliCommands } from "./modules/reconciliation/c2b-cli.server";
import { statementCliCommands } from "./modules/reconciliation/statement-cli.server";

export const cliCommands: Record<string, CliCommand> = {
  ...statementCliCommands,
  ...c2bCliCommands,
  ...pollerCommands,
};
