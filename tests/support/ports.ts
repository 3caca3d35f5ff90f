// A port for a server a test or benchmark starts as a child process (or a proxy it runs itself).
//
// `listen(0)` hands out a port from the OS's ephemeral range, the same range it uses for OUTGOING
// connections. Between our check and the child's bind, one of the suite's many connections to
// PostgreSQL can take that port, and the server dies with EADDRINUSE (CI saw it twice). So the port
// is drawn at random from below the ephemeral range, where the OS never hands out an outgoing port,
// and checked free by binding it. Imports nothing from app/: the build and browser suites use it.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const LOWEST = 10_000;

/** The first port of the OS's ephemeral range (Linux's default when it cannot be read). */
function ephemeralStart(): number {
  try {
    const first = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
    );
    if (Number.isInteger(first) && first > LOWEST + 1_000) return first;
  } catch {
    // Not Linux: fall through to the IANA/Linux default.
  }
  return 32_768;
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  const end = ephemeralStart();
  for (let tries = 0; tries < 100; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (await canListen(port, host)) return port;
  }
  throw new Error(`no free port found between ${LOWEST} and ${end}`);
}

/** True when a child's output says it died because its port was taken: worth a start on new ports. */
export function lostItsPort(output: string): boolean {
  return /EADDRINUSE/.test(output);
}
