// The log sink that keeps tests from hiding errors: what it lets through and what it reports.
import { expectLoggedError, takeLogProblems, testLog } from "./log";

describe("the test log sink", () => {
  it("reports an error nobody declared, with the logged line", () => {
    testLog().error({ err: new Error("boom") }, "queued work failed");
    const problems = takeLogProblems();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^unexpected error logged: .*queued work failed.*boom/);
  });

  it("lets a declared error through, matching the message or the error's text", () => {
    expectLoggedError(/queued work failed/);
    expectLoggedError(/disk full/);
    testLog().error({ err: new Error("disk full") }, "queued work failed");
    expect(takeLogProblems()).toEqual([]);
  });

  it("reports a declared error that never came", () => {
    expectLoggedError(/poller run failed/);
    expect(takeLogProblems()).toEqual([
      "expected an error log matching /poller run failed/, none came",
    ]);
  });

  it("ignores warnings and below", () => {
    testLog().warn("a callback from an address outside the allow-list");
    expect(takeLogProblems()).toEqual([]);
  });
});
