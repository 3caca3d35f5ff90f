// The checks every loader and action starts with. They throw a Response (redirect to sign-in, or an
// AppError as the one JSON error: 403, 401) so a route reads as four beats: authorize, parse, call
// the domain, respond.
import type { AppContext } from "../../context.server";
import { AppError, forbidden as forbiddenError } from "../../lib/app-error";
import { capBody, isBodyTooLarge } from "../../lib/body.server";
import { clientIp, throwAsResponse } from "../../lib/http.server";
import { authenticateApiKey } from "./api-keys.server";
import { can, type Permission } from "./permissions";
import { getStaffSession, redirectToLogin, type StaffSession } from "./sessions.server";
import type { Actor } from "./staff-audit.server";

export type Staff = { session: StaffSession; actor: Actor & { kind: "user" } };

function staffActor(ctx: AppContext, request: Request, session: StaffSession): Staff["actor"] {
  return {
    kind: "user",
    userId: session.user.id,
    label: session.user.name || session.user.email,
    role: session.user.role,
    ip: clientIp(request, ctx.config.mpesa.trustProxy),
  };
}

function forbidden(): never {
  throwAsResponse(forbiddenError("Your role does not allow this page or action."));
}

const BEARER = { "WWW-Authenticate": "Bearer" };

export async function requireUser(ctx: AppContext, request: Request): Promise<Staff> {
  const session = await getStaffSession(ctx, request);
  if (!session) redirectToLogin(request);
  return { session, actor: staffActor(ctx, request, session) };
}

export async function requirePermission(
  ctx: AppContext,
  request: Request,
  permission: Permission,
): Promise<Staff> {
  const staff = await requireUser(ctx, request);
  if (!can(staff.session.user.role, permission)) forbidden();
  return staff;
}

/** A console form (a note, a reason, a bulk selection) is kilobytes; more is refused, not buffered. */
export const MAX_FORM_BYTES = 1024 * 1024;

async function readSmallForm(request: Request): Promise<FormData> {
  try {
    return await capBody(request, MAX_FORM_BYTES).formData();
  } catch (error) {
    if (isBodyTooLarge(error))
      throwAsResponse(
        new AppError("too_large", "The form is too large to be a console form.", { status: 413 }),
      );
    throw error;
  }
}

/**
 * For actions: the permission, then the form, then the CSRF token bound to the session (a form on
 * another site cannot know it), then the Origin header when the browser sends one.
 */
export async function requireStaffAction(
  ctx: AppContext,
  request: Request,
  permission: Permission,
  // Uploads pass a size-limited multipart reader; the permission is checked before the body is read.
  readForm: (request: Request) => Promise<FormData> = readSmallForm,
): Promise<Staff & { form: FormData }> {
  const staff = await requirePermission(ctx, request, permission);
  // A custom reader's refusal (an upload too large) is the caller's to answer; the default one answers.
  const form = await readForm(request);
  assertSameOrigin(request, ctx.config.mpesa.trustProxy);
  if (form.get("csrf") !== staff.session.csrfToken) {
    throwAsResponse(
      new AppError("csrf", "This form has expired. Reload the page and try again.", {
        status: 403,
      }),
    );
  }
  return { ...staff, form };
}

/**
 * A browser names the page a POST came from; another origin is refused, and so is `Origin: null`
 * (sandboxed frames, `data:` pages, some redirects: places a cross-site form can hide). The
 * X-Forwarded-Host of a reverse proxy counts only with TRUST_PROXY, or any client could name itself.
 */
export function assertSameOrigin(request: Request, trustProxy: boolean): void {
  const origin = request.headers.get("Origin");
  if (origin === null) return;
  const refuse = () => {
    throwAsResponse(new AppError("csrf", "Cross-site form posts are refused.", { status: 403 }));
  };
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return refuse();
  }
  if (!host) return refuse();
  const forwardedHost = trustProxy ? request.headers.get("X-Forwarded-Host") : null;
  if (host !== new URL(request.url).host && host !== forwardedHost) refuse();
}

/** `/api/*`: a Bearer key, or a signed-in staff session for the read routes the console also uses. */
export async function requireApiActor(
  ctx: AppContext,
  request: Request,
  permission: Permission,
  options: { allowSession?: boolean } = {},
): Promise<Actor & { kind: "api_key" | "user" }> {
  const header = request.headers.get("Authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const key = match ? await authenticateApiKey(ctx.db, match[1], ctx.now()) : null;
    if (!key)
      throwAsResponse(
        new AppError("unauthorized", "The API key is missing, unknown or revoked.", {
          status: 401,
        }),
        BEARER,
      );
    if (!can(key.role, permission)) forbidden();
    return {
      kind: "api_key",
      apiKeyId: key.id,
      label: `API key ${key.name}`,
      role: key.role,
      ip: clientIp(request, ctx.config.mpesa.trustProxy),
    };
  }
  if (options.allowSession) {
    const session = await getStaffSession(ctx, request);
    if (session) {
      if (!can(session.user.role, permission)) forbidden();
      return staffActor(ctx, request, session);
    }
  }
  throwAsResponse(
    new AppError("unauthorized", "Send an API key as `Authorization: Bearer <key>`.", {
      status: 401,
    }),
    BEARER,
  );
}
