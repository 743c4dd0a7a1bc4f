import { Controller, Get } from '@nestjs/common';
import { CurrentEntitlement, RequiresFeature, SubscriptionService, type Entitlement } from '@litestripe/nestjs';

@Controller('premium')
export class PremiumController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Get()
  content(@CurrentEntitlement() entitlement: Entitlement) {
    return { plan: entitlement.plan };
  }

  @RequiresFeature('export')
  @Get('export')
  async export() {
    return { export: 'csv', service: typeof this.subscriptions.getEntitlement };
  }
}
