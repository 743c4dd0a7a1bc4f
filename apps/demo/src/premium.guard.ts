import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { StripeSubscription } from '@litestripe/nestjs';

/** Lets a request through when its account (`:accountRef`) has an active or trialing subscription. */
@Injectable()
export class PremiumGuard implements CanActivate {
  constructor(@InjectRepository(StripeSubscription) private readonly subscriptions: Repository<StripeSubscription>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const accountRef: unknown = context.switchToHttp().getRequest().params?.accountRef;
    const entitled =
      typeof accountRef === 'string' && (await this.subscriptions.existsBy({ accountRef, status: In(['active', 'trialing']) }));
    if (!entitled) throw new ForbiddenException(`Account ${String(accountRef)} has no active subscription`);
    return true;
  }
}
