import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

/**
 * A stand-in for your authentication (Passport, sessions...): the `x-user` header, or `?user=` on
 * links Stripe redirects back to, becomes `request.user.id`, which SubscriptionGuard reads.
 * Never trust a header like this in a real app.
 */
@Injectable()
export class DemoAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; query?: Record<string, unknown>; user?: { id: string } }>();
    const id = request.headers['x-user'] ?? request.query?.user;
    if (typeof id === 'string' && id !== '') request.user = { id };
    return true;
  }
}
