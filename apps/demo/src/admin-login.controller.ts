import { Controller, Get, Query, Redirect, Req, Res, UnauthorizedException } from '@nestjs/common';
import { SkipSubscriptionCheck } from '@litestripe/nestjs';
import { DEMO_ADMIN_PATH, demoAdminToken } from './admin-token.config';
import { ADMIN_TOKEN_COOKIE, isDemoAdminToken } from './demo-admin.guard';

interface LoginRequest {
  protocol: string;
}

interface LoginResponse {
  header(name: string, value: string): unknown;
}

/**
 * `GET /admin-login?token=<demo admin token>`: a browser's way into the admin. It puts the token in
 * an HttpOnly, SameSite=Strict cookie scoped to /admin (page scripts cannot read it, other sites
 * cannot send it), then redirects to /admin, which takes the token out of the address bar.
 */
@SkipSubscriptionCheck()
@Controller('admin-login')
export class AdminLoginController {
  private readonly token = demoAdminToken();

  @Get()
  @Redirect()
  login(@Req() request: LoginRequest, @Res({ passthrough: true }) response: LoginResponse, @Query('token') token?: string) {
    if (!isDemoAdminToken(token, this.token)) throw new UnauthorizedException('Wrong or missing token: use the one the demo printed at start-up (or DEMO_ADMIN_TOKEN).');
    const secure = request.protocol === 'https' ? '; Secure' : '';
    response.header('set-cookie', `${ADMIN_TOKEN_COOKIE}=${encodeURIComponent(token!)}; Path=/${DEMO_ADMIN_PATH}; HttpOnly; SameSite=Strict${secure}`);
    return { url: `/${DEMO_ADMIN_PATH}`, statusCode: 303 };
  }
}
