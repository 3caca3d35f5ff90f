/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  serverPlatform: "node",
  // Keep PGlite's WASM and postgres.js on disk instead of bundling them.
  serverDependenciesToBundle: [],
};
