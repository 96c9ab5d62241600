// What the browser tests share: a real `zimbot run` process on free loopback ports with its own data directory,
// headless Chromium driven by playwright-core, and a few page steps (sign in, open a chat, wait for an image).
// The zimbot binary and the example plugins must be built first (`cargo build -p zimbot-cli -p announcer -p echo
// -p media-poster`, which `scripts/test` does).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(REPO_ROOT, 'target', 'browser-artifacts');
/** The longest any step waits for something the page should show soon. */
export const STEP_TIMEOUT_MS = 15_000;

const ZIMBOT = join(REPO_ROOT, 'target', 'debug', 'zimbot');
const PLUGIN_DIR = join(REPO_ROOT, 'target', 'debug');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

/** A port nobody listens on right now, picked by the kernel. */
/** bots.yaml for a test run; `bots` is the YAML of the bot list, indented under `bots:`. */
function configYaml({ hubPort, webhookPort, dataDir, maxUploadMb, bots }) {
  return [
    'zim:',
    '  backend: hub',
    '  hub:',
    `    listen: 127.0.0.1:${hubPort}`,
    `    data_dir: ${JSON.stringify(dataDir)}`,
    `    max_upload_mb: ${maxUploadMb}`,
    'webhook:',
    `  listen: 127.0.0.1:${webhookPort}`,
    `plugin_dirs: [${JSON.stringify(PLUGIN_DIR)}]`,
    'bots:',
    bots,
    '',
  ].join('\n');
}

/**
 * Starts `zimbot run` from the repository root (so the bots' relative asset paths resolve) and resolves once it
 * prints its `zimbot running:` line. Answers { baseUrl, output(), stop(), restart(), dispose() }: `stop` ends the
 * process (SIGTERM, then waits for it to exit), `restart` starts it again on the same hub port (the page's URL names
 * it) and data directory, `dispose` stops it and removes its folder. The first start lets the OS pick both ports
 * (port 0) and reads the hub's from the ready line.
 */
export async function startZimbot({ bots, maxUploadMb = 200 }) {
  if (!existsSync(ZIMBOT)) {
    throw new Error(`${ZIMBOT} is missing: build it with \`cargo build -p zimbot-cli\` first`);
  }
  const folder = await mkdtemp(join(tmpdir(), 'zimbot-browser-'));
  const configPath = join(folder, 'bots.yaml');
  const writeConfig = (hubPort) =>
    writeFile(configPath, configYaml({ hubPort, webhookPort: 0, dataDir: join(folder, 'hub'), maxUploadMb, bots }));
  await writeConfig(0);

  let output = '';
  let running = null;
  const instance = {
    baseUrl: null,
    output: () => output,
    async stop() {
      if (running) await running.stop();
      running = null;
    },
    async restart() {
      await instance.stop();
      running = await runProcess(configPath, (text) => {
        output += text;
      });
      if (instance.baseUrl === null) {
        const hub = running.readyLine.match(/hub and chat page at (http:\/\/127\.0\.0\.1:(\d+))\//);
        if (!hub) throw new Error(`no hub address in the ready line: ${running.readyLine}`);
        instance.baseUrl = hub[1];
        await writeConfig(Number(hub[2]));
      }
    },
    async dispose() {
      await instance.stop();
      await rm(folder, { recursive: true, force: true });
    },
  };
  try {
    await instance.restart();
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  return instance;
}

/** Runs `zimbot run configPath` until it is ready; answers { stop() }. Everything it prints goes to `record`. */
async function runProcess(configPath, record) {
  const child = spawn(ZIMBOT, ['run', configPath], {
    cwd: REPO_ROOT,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    printed += text;
    record(text);
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killer);
  };

  let timer;
  const ready = new Promise((resolveReady, rejectReady) => {
    child.stdout.on('data', (text) => {
      printed += text;
      record(text);
      // Whole lines only (the last piece may be cut mid-line).
      const readyLine = printed.split('\n').slice(0, -1).find((line) => line.startsWith('zimbot running:'));
      if (readyLine !== undefined) resolveReady(readyLine);
    });
    exited.then(([code, signal]) => {
      rejectReady(new Error(`zimbot exited (code ${code}, signal ${signal}) before it was ready:\n${printed}`));
    });
    timer = setTimeout(
      () => rejectReady(new Error(`zimbot was not ready within ${STARTUP_TIMEOUT_MS} ms:\n${printed}`)),
      STARTUP_TIMEOUT_MS,
    );
  });
  let readyLine;
  try {
    readyLine = await ready;
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { stop, readyLine };
}

/** Headless Chromium from the system (playwright's own browser downloads are not used). */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install the Debian package \`chromium\` or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh page (its own storage) that records the page's console errors into `errors`. */
export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  return { context, page, errors };
}

/** Opens the chat page and signs in as `name`. */
export async function signIn(page, baseUrl, name) {
  await page.goto(`${baseUrl}/`);
  await page.locator('#user-name').fill(name);
  await page.locator('#sign-in-form button[type=submit]').click();
  await page.locator('#app').waitFor({ state: 'visible' });
}

/** Opens a room, group or peer chat through the "Open a chat" form. */
export async function openChat(page, type, id) {
  await page.locator('#open-type').selectOption(type);
  await page.locator('#open-id').fill(id);
  await page.locator('#open-form button[type=submit]').click();
  await page.locator(`#messages[data-conversation="${type}:${id}"]`).waitFor({ state: 'visible' });
}

/** Sends a text through the composer and waits until it is shown as the signed-in user's message. */
export async function sendText(page, text) {
  const before = await page.locator('#messages li.message.mine').count();
  await page.locator('#message-text').fill(text);
  await page.locator('#send').click();
  await page.locator('#messages li.message.mine').nth(before).waitFor();
}

/** Waits until `image` (a locator of an <img>) has loaded a real picture; answers its natural size and src. */
export async function waitForLoadedImage(image) {
  const handle = await image.elementHandle();
  await image.page().waitForFunction((node) => node.complete, handle, { timeout: STEP_TIMEOUT_MS });
  const loaded = await handle.evaluate((node) => ({
    width: node.naturalWidth,
    height: node.naturalHeight,
    src: node.src,
  }));
  if (loaded.width === 0) throw new Error(`the image ${loaded.src} did not load`);
  return loaded;
}

/** Saves a screenshot of `page` as target/browser-artifacts/{name}.png and answers its path. */
export async function saveScreenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Polls `check` until it answers a truthy value or `timeoutMs` passes; answers that value. */
export async function eventually(check, what, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveTick) => setTimeout(resolveTick, 100));
  }
}

/** The development app id and server secret a bots.yaml with `backend: hub` runs with. */
const DEV_APP_ID = 1234567;
const DEV_SERVER_SECRET = '0123456789abcdef0123456789abcdef';

/**
 * Calls the hub's Server API as a server integration would (signed with the development secret), so a test can
 * send what the Server API accepts and the client API refuses. Resolves to the JSON envelope; rejects unless
 * its Code is 0.
 */
export async function serverApi(baseUrl, action, body) {
  const { createHash, randomBytes } = await import('node:crypto');
  const nonce = randomBytes(8).toString('hex');
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHash('md5').update(`${DEV_APP_ID}${nonce}${DEV_SERVER_SECRET}${timestamp}`).digest('hex');
  const query = new URLSearchParams({
    Action: action, AppId: String(DEV_APP_ID), SignatureNonce: nonce, Timestamp: String(timestamp),
    SignatureVersion: '2.0', Signature: signature,
  });
  const response = await fetch(`${baseUrl}/?${query}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const envelope = await response.json();
  if (envelope.Code !== 0) throw new Error(`${action} answered ${JSON.stringify(envelope)}`);
  return envelope;
}
