import { CanActivate, Controller, ExecutionContext, Get, Injectable, Module, Query, Res } from '@nestjs/common';
import { randomBytes } from 'node:crypto';

/**
 * Stands in for a host's own login, so that the browser really signs in: a sign-in form, a session
 * cookie, and the guard that lets a signed-in staff member into the admin (as `request.user.id`).
 */
const SESSION_COOKIE = 'staff_session';
const STAFF_ID = /^[a-z0-9_]{1,40}$/;
const LOCAL_PATH = /^\/[A-Za-z0-9/_-]*$/;

@Injectable()
export class StaffSessions {
  private readonly sessions = new Map<string, string>();

  open(staff: string): string {
    const token = randomBytes(24).toString('base64url');
    this.sessions.set(token, staff);
    return token;
  }

  staffOf(cookieHeader: unknown): string | null {
    const cookies = typeof cookieHeader === 'string' ? cookieHeader.split(';') : [];
    const session = cookies.map((cookie) => cookie.trim().split('=')).find(([name]) => name === SESSION_COOKIE);
    return session ? (this.sessions.get(session[1]) ?? null) : null;
  }
}

@Injectable()
export class StaffSessionGuard implements CanActivate {
  constructor(private readonly sessions: StaffSessions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest();
    const staff = this.sessions.staffOf(request.headers.cookie);
    if (staff === null) return false;
    request.user = { id: staff };
    return true;
  }
}

/** Express's response and Fastify's reply both have these. */
interface Reply {
  header(name: string, value: string): unknown;
  status(code: number): unknown;
}

@Controller('sign-in')
class StaffSignInController {
  constructor(private readonly sessions: StaffSessions) {}

  @Get()
  form(@Res({ passthrough: true }) reply: Reply, @Query('next') next = '/'): string {
    reply.header('content-type', 'text/html; charset=utf-8');
    const target = LOCAL_PATH.test(next) ? next : '/';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>
<form method="get" action="/sign-in/session"><input type="hidden" name="next" value="${target}">
<label>Staff id <input name="staff" required></label><button type="submit">Sign in</button></form></body></html>`;
  }

  @Get('session')
  signIn(@Res({ passthrough: true }) reply: Reply, @Query('staff') staff = '', @Query('next') next = '/'): string {
    if (!STAFF_ID.test(staff)) {
      reply.status(400);
      return 'Unknown staff id.';
    }
    reply.header('set-cookie', `${SESSION_COOKIE}=${this.sessions.open(staff)}; Path=/; HttpOnly; SameSite=Lax`);
    reply.header('location', LOCAL_PATH.test(next) ? next : '/');
    reply.status(303);
    return '';
  }
}

@Module({ controllers: [StaffSignInController], providers: [StaffSessions, StaffSessionGuard], exports: [StaffSessions, StaffSessionGuard] })
export class StaffSignInModule {}

/** The admin's access in the browser suite: staff sign in at /sign-in, and the admin lets in their session. */
export const STAFF_SIGN_IN = { guard: StaffSessionGuard, imports: [StaffSignInModule] };
