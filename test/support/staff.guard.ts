import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

/** Stands in for a host's operator check: `x-staff: <id>` lets the request in as `request.user.id`; no header, no entry. */
@Injectable()
export class StaffGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest();
    const staff = request.headers['x-staff'];
    if (typeof staff !== 'string' || staff === '') return false;
    request.user = { id: staff };
    return true;
  }
}
