/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  serverPlatform: "node",
  // Keep PGlite's WASM and postgres.js on disk instead of bundling them.
  serverDependenciesToBundle: [],
  // React Router v7 behaviour the app already works with (the browser crawl in tests/e2e checks every
  // page). Single fetch is left off: it changes how loaders answer, a change of its own.
  future: {
    v3_fetcherPersist: true,
    v3_lazyRouteDiscovery: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
  },
};
