import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/*
 * What the browser tests share: Debian's Chromium driven by playwright-core, and the web client
 * built into a directory of each test file's own, since the files run at once and a build
 * starts by emptying its directory.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('test-artifacts', 'screenshots');

/** Builds the web client into a fresh directory and returns it, for `startTestService({ webRoot })`. */
export function buildWebClient(): string {
  const out = mkdtempSync(path.join(tmpdir(), 'timebank-web-'));
  execFileSync(process.execPath, ['web/build.mjs', out], { stdio: 'inherit' });
  mkdirSync(ARTIFACTS, { recursive: true });
  return out;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A new page whose console errors and uncaught exceptions are collected in `errors`. */
export async function pageWithErrors(browser: Browser, errors: string[], viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}
