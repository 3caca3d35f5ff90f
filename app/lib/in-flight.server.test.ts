import { createServer, request, type ServerResponse } from "node:http";
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
