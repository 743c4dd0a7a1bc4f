import { Browser, BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium), or CHROMIUM_PATH; scripts/test-browser.js checks it is there. */
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Headless, and quiet: without the background-networking flags Chromium keeps calling Google's services from a closed network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh browser profile (no cookies) on the host, at the size the screenshots are taken. */
export function newVisitor(browser: Browser, origin: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL: origin, viewport: { width: 1280, height: 800 } });
}
