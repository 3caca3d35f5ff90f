// The app's log in tests. Error-level lines ("queued work failed", a poller tick that threw) are
// bugs unless a test says it expects them, so they land in a sink that tests/support/setup.ts checks
// after every test: an unexpected one fails the test, and so does an expected one that never came.
// TEST_LOG_LEVEL=debug (or info…) also prints the log while a test runs.
import pino from "pino";
import { createLog, type Log } from "../../app/lib/log.server";

type Logged = { level: number; text: string; line: string };

const ERROR = 50;
const printLevel = process.env.TEST_LOG_LEVEL;
let logged: Logged[] = [];
let expected: RegExp[] = [];

const sink: pino.DestinationStream = {
  write(chunk: string) {
    const line = chunk.trimEnd();
    if (printLevel) process.stdout.write(`${line}\n`);
    try {
      const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
      if (entry.level >= ERROR) {
        const text = entry.err?.message
          ? `${entry.msg ?? ""}: ${entry.err.message}`
          : (entry.msg ?? "");
        logged.push({ level: entry.level, text: text.replace(/\s+/g, " "), line });
      }
    } catch {
      logged.push({ level: ERROR, text: line, line });
    }
  },
};

/** A logger for a test context: error lines always reach the sink; more with TEST_LOG_LEVEL. */
export function testLog(): Log {
  const level = printLevel && pino.levels.values[printLevel] < ERROR ? printLevel : "error";
  return createLog(level, sink);
}

/** Declares that this test makes the app log an error matching `pattern` (at least once). */
export function expectLoggedError(pattern: RegExp): void {
  expected.push(pattern);
}

/** Called after each test: the errors nobody expected, and the expectations nothing matched. */
export function takeLogProblems(): string[] {
  const unexpected = logged
    .filter((entry) => !expected.some((pattern) => pattern.test(entry.text)))
    .map((entry) => `unexpected error logged: ${entry.text}\n  ${entry.line}`);
  const unmet = expected
    .filter((pattern) => !logged.some((entry) => pattern.test(entry.text)))
    .map((pattern) => `expected an error log matching ${pattern}, none came`);
  logged = [];
  expected = [];
  return [...unexpected, ...unmet];
}
