import { BadRequestException } from '@nestjs/common';

const HTTP_URL = /^https?:\/\/\S+$/;

/** Throws a 400 naming the first of `urls` (by option name) that is not an absolute http(s) URL. */
export function checkHttpUrls(urls: Record<string, unknown>): void {
  for (const [name, url] of Object.entries(urls)) {
    if (typeof url !== 'string' || !HTTP_URL.test(url)) throw new BadRequestException(`${name} must be an absolute http(s) URL (got ${JSON.stringify(url)}).`);
  }
}
