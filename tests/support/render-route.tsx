// Server-renders a console page to HTML the way Remix does: the real `_console` layout and page
// loaders run against a real Request and the test context (react-router's static handler, which
// Remix's server uses underneath), then the components render with renderToString. For assertions
// on what a person would see — e.g. that a `<script>` in a callback body arrives as text.
import type { ComponentType } from "react";
import { renderToString } from "react-dom/server";
import {
  createStaticHandler,
  createStaticRouter,
  StaticRouterProvider,
} from "react-router-dom/server";
import {
  UNSAFE_RemixContext as RemixContext,
  type UNSAFE_RemixContextObject,
} from "@remix-run/react";
import type { AppContext } from "../../app/context.server";
import * as layout from "../../app/routes/_console";

type RouteModule = {
  default: ComponentType;
  loader?: (args: any) => unknown;
  action?: (args: any) => unknown;
  ErrorBoundary?: ComponentType;
};

// Enough of Remix's context for <Link>/<Form> (no prefetching, no manifest-driven links rendered).
const remixContext = {
  manifest: { entry: { imports: [], module: "" }, routes: {}, url: "", version: "test" },
  routeModules: {},
  future: {
    v3_fetcherPersist: false,
    v3_relativeSplatPath: false,
    v3_lazyRouteDiscovery: false,
    v3_singleFetch: false,
  },
  isSpaMode: false,
} as unknown as UNSAFE_RemixContextObject;

/**
 * Renders `page` under the console layout at `pattern` (e.g. "callbacks/:callbackId").
 * Returns the status and HTML; a thrown redirect or error response comes back as its status.
 */
export async function renderPage(
  ctx: AppContext,
  request: Request,
  pattern: string,
  page: RouteModule,
): Promise<{ status: number; html: string }> {
  const routes = [
    {
      id: "routes/_console",
      path: "/",
      loader: layout.loader as never,
      Component: layout.default,
      ErrorBoundary: layout.ErrorBoundary,
      children: [
        {
          id: `routes/${pattern}`,
          path: pattern,
          loader: page.loader as never,
          action: page.action as never,
          Component: page.default,
          ErrorBoundary: page.ErrorBoundary,
        },
      ],
    },
  ];
  const handler = createStaticHandler(routes);
  const context = await handler.query(request, { requestContext: ctx });
  if (context instanceof Response) return { status: context.status, html: "" };
  const router = createStaticRouter(handler.dataRoutes, context);
  const html = renderToString(
    <RemixContext.Provider value={remixContext}>
      <StaticRouterProvider router={router} context={context} hydrate={false} />
    </RemixContext.Provider>,
  );
  return { status: context.statusCode, html };
}
