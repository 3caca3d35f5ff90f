import { plainReason, plainSummary, resultLabel } from "./result-words";

it("names the codes people meet in plain words with the code after them", () => {
  expect(resultLabel(2001)).toBe("Wrong PIN (2001)");
  expect(resultLabel("1032")).toBe("Customer cancelled (1032)");
  expect(resultLabel("1037")).toBe("Phone unreachable (1037)");
  expect(resultLabel("77")).toMatch(/\(77\)$/);
  expect(resultLabel(null)).toBeNull();
});

it("rewrites the writer's status reasons and leaves other reasons alone", () => {
  expect(plainReason("Attempt failed (ResultCode 2001)")).toBe("Wrong PIN (2001)");
  expect(plainReason("Attempt expired (ResultCode 1037)")).toBe("Phone unreachable (1037)");
  expect(plainReason("Paid KES 149 but KES 150 was requested")).toBe(
    "Paid KES 149 but KES 150 was requested",
  );
  expect(plainReason(null)).toBeNull();
  expect(plainSummary("Attempt cancelled (ResultCode 1032) by the customer")).toBe(
    "Customer cancelled (1032) by the customer",
  );
});
