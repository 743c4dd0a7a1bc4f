import { Controller, Get, Req } from '@nestjs/common';
import { CurrentEntitlement, RequiresFeature, SubscriptionService, type Entitlement } from '@litestripe/nestjs';

@Controller('premium')
export class PremiumController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Get()
  content(@CurrentEntitlement() entitlement: Entitlement) {
    return { plan: entitlement.plan };
  }

  /** The guard let the request in; the service (injected by class) answers the same. */
  @RequiresFeature('export')
  @Get('export')
  async export(@Req() request: { user: { id: string } }) {
    const { plan } = await this.subscriptions.getEntitlement(request.user.id);
    return { export: 'csv', plan };
  }
}
