import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

/** Stands in for the host's authentication: `x-user` becomes `request.user.id`. */
@Injectable()
export class HeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest();
    const id = request.headers['x-user'];
    if (id) request.user = { id };
    return true;
  }
}
