import { paymentListQuery } from "./list-params";

const now = new Date("2025-03-14T09:00:00Z"); // 12:00 EAT on 14 March
const q = (search: string) => paymentListQuery(new URLSearchParams(search), now);

describe("paymentListQuery", () => {
  it("defaults to the last 30 EAT days when no dates or identifier are given", () => {
    const { form, filters, defaultWindow, error } = q("");
    expect(defaultWindow).toBe(true);
    expect(form.from).toBe("2025-02-13");
    expect(filters).toEqual({ sort: "newest", from: "2025-02-12T21:00:00.000Z" });
    expect(error).toBeNull();
  });

  it("turns EAT days into instants with an inclusive end day", () => {
    const { filters, defaultWindow } = q(
      "from=2025-03-01&to=2025-03-02&status=paid&sort=amount_desc",
    );
    expect(defaultWindow).toBe(false);
    expect(filters).toEqual({
      sort: "amount_desc",
      status: "paid",
      from: "2025-02-28T21:00:00.000Z",
      to: "2025-03-02T20:59:59.999Z",
    });
  });

  it("searches all time for an identifier, and reads amounts the way people write them", () => {
    const { filters, defaultWindow } = q("phone=0712+345+678&minAmount=KES+1,250&maxAmount=2 000");
    expect(defaultWindow).toBe(false);
    expect(filters).toEqual({
      sort: "newest",
      phone: "0712 345 678",
      minAmount: "1250",
      maxAmount: "2000",
    });
  });

  it("names the field when a date or amount cannot be read", () => {
    expect(q("from=14/03/2025").error).toEqual({
      field: "from",
      message: expect.stringContaining("2025-03-14"),
    });
    expect(q("minAmount=12.50").error).toMatchObject({ field: "minAmount" });
    expect(q("from=2025-03-10&to=2025-03-01").error).toMatchObject({ field: "to" });
    expect(q("sort=bogus").form.sort).toBe("newest");
  });
});

it("explains a smallest amount above the largest instead of showing nothing", () => {
  const q = paymentListQuery(new URLSearchParams("minAmount=500&maxAmount=100"), new Date());
  expect(q.error).toEqual({
    field: "maxAmount",
    message: expect.stringMatching(/below the smallest/),
  });
});
