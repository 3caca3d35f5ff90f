// CLI commands that belong to later domains (poller, statements, C2B) register here.
import type { CliCommand } from "./cli";

export const cliCommands: Record<string, CliCommand> = {};
