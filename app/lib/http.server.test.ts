// The client's address as the callback allow-list and the audit read it.
import { CLIENT_IP_HEADER, clientIp } from "./http.server";

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
