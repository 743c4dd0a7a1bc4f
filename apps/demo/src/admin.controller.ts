import { Body, Controller, Get, Param, ParseIntPipe, Post } from '@nestjs/common';
import { BillingService, SkipSubscriptionCheck } from '@litestripe/nestjs';

/** Support's tools for payments that matched no account. Protect these with your admin auth. */
@SkipSubscriptionCheck()
@Controller('admin/orphans')
export class AdminController {
  constructor(private readonly billing: BillingService) {}

  @Get()
  list() {
    return this.billing.listOrphanedPayments();
  }

  @Post(':id/claim')
  async claim(@Param('id', ParseIntPipe) id: number, @Body('accountRef') accountRef: string) {
    const { orphan, subscription, alreadyClaimed } = await this.billing.claimOrphanedPayment(id, accountRef);
    return { orphan: orphan.id, subscription: subscription.id, accountRef: subscription.accountRef, alreadyClaimed };
  }
}
