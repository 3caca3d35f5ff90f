// Any console.error during a test is a bug we want to see, so it fails the test; so does an error
// the app logs that the test did not declare with expectLoggedError (tests/support/log.ts).
import { afterAll, afterEach, beforeEach, vi } from "vitest";
import { takeLogProblems } from "./log";

let errors: unknown[][] = [];
beforeEach(() => {
  errors = [];
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    errors.push(args);
  });
});
afterEach(() => {
  vi.mocked(console.error).mockRestore();
  const problems = [
    ...errors.map((a) => `console.error was called during the test: ${a.map(String).join(" ")}`),
    ...takeLogProblems(),
  ];
  if (problems.length > 0) throw new Error(problems.join("\n"));
});
// Errors logged after the last test (while the file's app shuts down) fail the file.
afterAll(() => {
  const problems = takeLogProblems();
  if (problems.length > 0) throw new Error(problems.join("\n"));
});
