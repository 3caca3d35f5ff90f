// The harnesses' ports stay out of the range the OS uses for outgoing connections, where the suite's
// own connections to PostgreSQL could take them before a server binds them (EADDRINUSE in CI).
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, lostItsPort } from "./ports";

const outgoingStart = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0]);
  } catch {
    return 32_768;
  }
})();

describe("freePort", () => {
  it("gives ports below the outgoing range that a server can bind", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(outgoingStart);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(ports[0], "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it("tells a lost port from other early exits", () => {
    expect(lostItsPort("Error: listen EADDRINUSE: address already in use 127.0.0.1:37163")).toBe(
      true,
    );
    expect(lostItsPort("SESSION_SECRET is missing")).toBe(false);
  });
});
