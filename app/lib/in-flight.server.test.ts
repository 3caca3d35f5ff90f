import { Agent, createServer, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { trackRequests } from "./in-flight.server";

it("counts a request from its headers to its answer, and says whether they all ended in time", async () => {
  let held: ServerResponse | null = null;
  const server = createServer((_req, res) => {
    held = res;
  });
  const requests = trackRequests(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    expect(await requests.settled(10)).toBe(true);
    const { port } = server.address() as AddressInfo;
    const answered = new Promise<number>((resolve, reject) => {
      const req = request({ port, host: "127.0.0.1", method: "POST" }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      // Headers only: the body has not ended, and the request already counts.
      req.flushHeaders();
    });
    await vi.waitFor(() => expect(requests.count()).toBe(1));
    expect(await requests.settled(50)).toBe(false);
    const settled = requests.settled(5_000);
    held!.end("ok");
    expect(await answered).toBe(200);
    expect(await settled).toBe(true);
    expect(requests.count()).toBe(0);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

it("once closing, answers close their connections, so a keep-alive client brings no request after them", async () => {
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => {
    held.push(res);
  });
  const requests = trackRequests(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const agent = new Agent({ keepAlive: true });
  const { port } = server.address() as AddressInfo;
  const ask = () =>
    new Promise<string | undefined>((resolve, reject) => {
      const req = request({ port, host: "127.0.0.1", agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.headers.connection));
      });
      req.on("error", reject);
      req.end();
    });
  try {
    // Before: the connection is kept for the next request.
    const first = ask();
    await vi.waitFor(() => expect(held).toHaveLength(1));
    held[0].end("ok");
    expect(await first).toBe("keep-alive");
    // A request in flight when the shutdown begins, and one that comes after it.
    const during = ask();
    await vi.waitFor(() => expect(held).toHaveLength(2));
    requests.closing();
    held[1].end("ok");
    expect(await during).toBe("close");
    const after = ask();
    await vi.waitFor(() => expect(held).toHaveLength(3));
    held[2].end("ok");
    expect(await after).toBe("close");
    expect(await requests.settled(1_000)).toBe(true);
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
