// What server.ts needs besides the routes, exported through entry.server.tsx so that it is bundled
// into the same build as the routes. server.ts takes these from `build.entry.module.serverRuntime`
// and imports nothing from app/ itself: one module graph, one DarajaError, one AppError.
export { configFromProcessEnv, ConfigError } from "./config.server";
export { createContext } from "./context.server";
export { CLIENT_IP_HEADER } from "./lib/http.server";
export { trackRequests } from "./lib/in-flight.server";
export { guardLostDatabase } from "./lib/lost-database.server";
export { jsonAnswerHeaders, pathForLog, securityHeaders } from "./lib/security-headers.server";
export { matchHookRequest, serveHook } from "./modules/callbacks/hook-http.server";
export {
  createApplierProcess,
  serveApplierProcess,
} from "./modules/callbacks/applier-process.server";
export { createLog } from "./lib/log.server";
export { createBurstGate } from "./modules/callbacks/burst-gate.server";
export { seedDemoData } from "../db/seed";
export { startJobs } from "../jobs";
export { createSimulator } from "../simulator/server";
