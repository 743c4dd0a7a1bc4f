import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { PremiumGuard } from './premium.guard';

@Controller('premium')
export class PremiumController {
  @Get(':accountRef')
  @UseGuards(PremiumGuard)
  content(@Param('accountRef') accountRef: string) {
    return { account: accountRef, premium: true, content: 'The premium feature, unlocked by an active subscription.' };
  }
}
