// CLI commands that belong to later domains (poller, statements, C2B) register here.
import type { CliCommand } from "./main";
import { pollerCommands } from "./poller.server";
import { c2bCliCommands } from "./c2b.server";
import { statementCliCommands } from "./statement.server";

export const cliCommands: Record<string, CliCommand> = {
  ...statementCliCommands,
  ...c2bCliCommands,
  ...pollerCommands,
};
