// The edges between HTTP and the domain: the client's address as the callback allow-list and the
// audit read it, and what a console form's answer may show.
import { AppError } from "./app-error";
import { CLIENT_IP_HEADER, clientIp, formAction } from "./http.server";

const request = (headers: Record<string, string>) =>
  new Request("http://console.test/hooks/daraja/stk/token", { headers });

it("takes the address our proxy appended, not one the client put in front of it", () => {
  // nginx's $proxy_add_x_forwarded_for keeps what the client sent and appends the address it saw.
  const forged = request({
    "x-forwarded-for": "196.201.214.200, 203.0.113.9",
    [CLIENT_IP_HEADER]: "10.0.0.2",
  });
  expect(clientIp(forged, true)).toBe("203.0.113.9");
  expect(clientIp(request({ "x-forwarded-for": " 203.0.113.9 " }), true)).toBe("203.0.113.9");
});

it("ignores X-Forwarded-For unless a proxy of ours is in front", () => {
  const direct = request({ "x-forwarded-for": "196.201.214.200", [CLIENT_IP_HEADER]: "10.0.0.2" });
  expect(clientIp(direct, false)).toBe("10.0.0.2");
  expect(clientIp(request({}), false)).toBe("unknown");
});

describe("a console form's answer", () => {
  const refusal = () => {
    throw new AppError("push_refused", "M-Pesa refused the prompt: 254712345678 is locked.", {
      status: 409,
    });
  };

  it("masks the numbers in M-Pesa's words for a masked viewer, and gives back what they typed", async () => {
    const response = await formAction(async () => refusal(), {
      values: { phone: "0712345678" },
      viewer: { masked: true },
    });
    expect(response.status).toBe(409);
    const body = await response.json();
    expect(body.error.message).toMatch(/^M-Pesa refused the prompt: .*is locked\.$/);
    expect(body.error.message).not.toContain("712345678");
    expect(body.values).toEqual({ phone: "0712345678" });
    const ok = await formAction(async () => ({ message: "Sent to 0712345678" }), {
      viewer: { masked: true },
    });
    expect((await ok.json()).message).not.toContain("712345678");
  });

  it("leaves them whole for a viewer who sees numbers", async () => {
    const response = await formAction(async () => refusal(), { viewer: { masked: false } });
    expect((await response.json()).error.message).toContain("254712345678");
  });
});
