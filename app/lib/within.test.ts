import { within } from "./within";

describe("within", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("gives the work's result, or its error, when it settles in time, and leaves no timer behind", async () => {
    await expect(within(Promise.resolve("done"), 1_000, () => "late")).resolves.toBe("done");
    await expect(within(Promise.reject(new Error("refused")), 1_000, () => "late")).rejects.toThrow(
      "refused",
    );
    expect(vi.getTimerCount()).toBe(0);
  });

  it("gives what `late` returns, or throws, once the time is up", async () => {
    const never = new Promise<string>(() => {});
    const answer = within(never, 1_000, () => "late");
    const refusal = within(never, 2_000, () => {
      throw new Error("not confirmed in time");
    });
    const refused = expect(refusal).rejects.toThrow("not confirmed in time");
    await vi.advanceTimersByTimeAsync(999);
    let settled = false;
    void answer.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(answer).resolves.toBe("late");
    await vi.advanceTimersByTimeAsync(1_000);
    await refused;
  });
});
