import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

/** Stands in for the app's authentication: the `x-user` header becomes `request.user.id`. */
@Injectable()
export class HeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; user?: { id: string } }>();
    const id = request.headers['x-user'];
    if (typeof id === 'string' && id !== '') request.user = { id };
    return true;
  }
}
