// Specifications of the hub's chat page in headless Chromium, against a real `zimbot run` with the example
// plugins: the announcer in room lobby, a second announcer ("herald") posting to room news every five seconds,
// and the echo bot. The hub's upload cap is 1 MiB so an over-cap upload is cheap to make.
// Run with `node --test tests/browser/` after building zimbot and the plugins.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import {
  REPO_ROOT,
  STEP_TIMEOUT_MS,
  eventually,
  launchBrowser,
  newPage,
  openChat,
  saveScreenshot,
  sendText,
  serverApi,
  signIn,
  startZimbot,
  waitForLoadedImage,
} from './support.mjs';

const BOTS = `
  - id: announcer
    user_id: "@RBT#announcer"
    name: Announcer
    plugin: announcer
    listen:
      rooms: [lobby]
      match: "^!announce"
    config:
      rooms: [lobby]
      text: "Welcome to the lobby! Say !announce to see this again."
      media: assets/announcement.png
      media_type: image

  - id: herald
    user_id: "@RBT#herald"
    name: Herald
    plugin: announcer
    schedules:
      - id: every-five-seconds
        cron: "*/5 * * * * *"
    config:
      rooms: [news]
      text: "The news, every five seconds."
      media: assets/announcement.png
      media_type: image

  - id: echo
    user_id: "@RBT#echo"
    name: Echo
    plugin: echo
    listen:
      peers: ["*"]
      groups: ["*"]
    config:
      assets: assets
`;

const TEST_TIMEOUT_MS = 60_000;

/** GET `path` of the hub's client API; its JSON. */
async function hubJson(baseUrl, path) {
  const response = await fetch(`${baseUrl}${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return response.json();
}

/** Posts `text` to room `room` as `from` through the hub's client API (which enters the room first). */
async function postToRoom(baseUrl, from, room, text) {
  const response = await fetch(`${baseUrl}/client/v1/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ from, conv_type: 'room', conv_id: room, text }),
  });
  assert.equal(response.status, 200, `posting to room ${room}`);
}

describe('the chat page', { timeout: 10 * TEST_TIMEOUT_MS }, () => {
  let zimbot;
  let browser;

  before(async () => {
    zimbot = await startZimbot({ bots: BOTS, maxUploadMb: 1 });
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (zimbot) await zimbot.dispose();
  });

  /** Runs `body` with a fresh page; the page must raise no script error. */
  async function withPage(body) {
    const { context, page, errors } = await newPage(browser);
    try {
      await body(page);
      assert.deepEqual(errors, [], 'the page raised script errors');
    } catch (error) {
      await saveScreenshot(page, `failed-${Date.now()}`).catch(() => {});
      throw error;
    } finally {
      await context.close();
    }
  }

  test('remembers the chosen user name across a reload', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await page.goto(`${zimbot.baseUrl}/`);
      await page.locator('#user-name').waitFor({ state: 'visible' });
      await saveScreenshot(page, 'sign-in');
      await signIn(page, zimbot.baseUrl, 'rita');
      await page.reload();
      await page.locator('#app').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#me-name').textContent(), 'rita');
    });
  });

  test('reopens the conversation that was open before a reload', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'sam');
      await openChat(page, 'peer', '@RBT#echo');
      await page.reload();
      await page.locator('#messages[data-conversation="peer:@RBT#echo"]').waitFor({ state: 'visible' });
    });
  });

  test('a message to a user who does not exist is refused in the page', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'tom');
      await openChat(page, 'peer', 'nobody-here');
      await page.locator('#message-text').fill('hello?');
      await page.locator('#send').click();

      const error = page.locator('#chat-error');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.textContent(), /not sent.*nobody-here.*does not exist/);
      assert.equal(await page.locator('#message-text').inputValue(), 'hello?', 'the text is kept to try again');
    });
  });

  test("!announce in room lobby shows the announcer's image post", { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'alice');
      await openChat(page, 'room', 'lobby');
      await sendText(page, '!announce');

      const post = page.locator('#messages li.message.bot[data-from="@RBT#announcer"][data-type="image"]');
      const image = await waitForLoadedImage(post.locator('img'));
      assert.ok(image.width > 0 && image.height > 0, 'the announcement image has a size');
      assert.match(image.src, /\/media\//, 'the image comes from the media store');
      await assert.doesNotReject(post.locator('.badge', { hasText: 'BOT' }).waitFor(), 'the post is marked as a bot');

      const text = page.locator('#messages li.message.bot[data-from="@RBT#announcer"][data-type="text"]');
      await text.filter({ hasText: 'Welcome to the lobby!' }).waitFor();
      const mine = page.locator('#messages li.message.mine', { hasText: '!announce' });
      const order = await Promise.all([mine, text, post].map((node) => node.getAttribute('data-seq')));
      const [asked, announced, pictured] = order.map(Number);
      assert.ok(asked < announced && announced < pictured, `messages in order: ${order.join(', ')}`);
      await page.locator('#conversation-list [data-conversation="room:lobby"]').waitFor();
      await saveScreenshot(page, 'chat');
    });
  });

  test('a peer chat with the echo bot answers !help', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'bob');
      await page.locator('#bot-list button[data-user="@RBT#echo"]').click();
      await page.locator('#messages[data-conversation="peer:@RBT#echo"]').waitFor();
      await sendText(page, '!help');

      const reply = page.locator('#messages li.message.bot[data-from="@RBT#echo"] .message-text');
      await reply.filter({ hasText: '!help - this list' }).waitFor();
      assert.match(await page.locator('#chat-title').textContent(), /Echo/);
      await saveScreenshot(page, 'echo');
    });
  });

  test('an uploaded image shows inline after the progress bar', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'carol');
      await openChat(page, 'group', 'family');
      // Records every state the upload panel passes through, so the test sees it even when the upload is fast.
      await page.evaluate(() => {
        const panel = document.getElementById('upload');
        const bar = document.getElementById('upload-progress');
        window.uploadTrace = [];
        const record = () => window.uploadTrace.push({ visible: !panel.hidden, value: bar.value });
        new MutationObserver(record).observe(panel, { attributes: true, subtree: true, attributeFilter: ['hidden', 'value'] });
      });
      await page.locator('#file-input').setInputFiles(join(REPO_ROOT, 'assets', 'posts', '01-sunrise.png'));

      const post = page.locator('#messages li.message.mine[data-type="image"]');
      const image = await waitForLoadedImage(post.locator('img'));
      assert.ok(image.width > 0, 'the uploaded picture is shown');
      await page.locator('#upload').waitFor({ state: 'hidden' });
      const trace = await page.evaluate(() => window.uploadTrace);
      assert.ok(trace.some((step) => step.visible), `the progress bar was shown: ${JSON.stringify(trace)}`);
      assert.ok(trace.some((step) => step.visible && step.value === 100), `it reached 100 %: ${JSON.stringify(trace)}`);
    });
  });

  test('an uploaded sound plays in the page and a document is a download link', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'dave');
      await openChat(page, 'room', 'music');
      await page.locator('#file-input').setInputFiles(join(REPO_ROOT, 'assets', 'chime.wav'));
      const audio = page.locator('#messages li.message.mine[data-type="audio"] audio[controls]');
      await audio.waitFor();
      await page.waitForFunction((node) => node.readyState >= 1, await audio.elementHandle());

      await page.locator('#file-input').setInputFiles(join(REPO_ROOT, 'assets', 'guide.pdf'));
      const link = page.locator('#messages li.message.mine[data-type="file"] a.file-link');
      await link.waitFor();
      assert.equal(await link.getAttribute('download'), 'guide.pdf');
      assert.match(await link.textContent(), /guide\.pdf.*652 B/);
      await saveScreenshot(page, 'media');
    });
  });

  test('a scheduled announcement arrives without reloading', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'erin');
      await openChat(page, 'room', 'news');
      // A reload would lose this mark.
      await page.evaluate(() => {
        window.notReloaded = true;
      });
      const posts = page.locator('#messages li.message.bot[data-from="@RBT#herald"][data-type="image"]');
      const before = await posts.count();
      await posts.nth(before).waitFor({ timeout: 3 * STEP_TIMEOUT_MS });
      await waitForLoadedImage(posts.nth(before).locator('img'));
      assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
    });
  });

  test('hostile messages show as text and never run script or become javascript: links', { timeout: TEST_TIMEOUT_MS }, async () => {
    // The Server API takes any URL, as the service does; the page must make it safe when it renders.
    await serverApi(zimbot.baseUrl, 'UserRegister', { UserInfo: [{ UserId: 'eve' }] });
    // A room exists only once created, as on the service.
    await serverApi(zimbot.baseUrl, 'CreateRoom', { FromUserId: 'eve', RoomId: 'xss' });
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'victim');
      // Room messages reach only the people in the room: the victim is in it before anything is sent.
      await openChat(page, 'room', 'xss');
      await page.locator('#membership', { hasText: 'Leave room' }).waitFor();
      const file = { Uid: 'u', Url: 'javascript:window.pwned=1', FileName: '<img src=x onerror="window.pwned=2">.pdf' };
      await serverApi(zimbot.baseUrl, 'SendRoomMessage', {
        FromUserId: 'eve', RoomId: 'xss', MessageType: 12, Priority: 2, MessageBody: { Message: JSON.stringify(file) },
      });
      const image = { Uid: 'u', Origin: { Url: 'data:image/svg+xml,<svg onload="window.pwned=3"/>' }, FileName: 'x.svg' };
      await serverApi(zimbot.baseUrl, 'SendRoomMessage', {
        FromUserId: 'eve', RoomId: 'xss', MessageType: 11, Priority: 2, MessageBody: { Message: JSON.stringify(image) },
      });
      const text = '<img src=x onerror="window.pwned=4"><script>window.pwned=5</script>';
      await serverApi(zimbot.baseUrl, 'SendRoomMessage', {
        FromUserId: 'eve', RoomId: 'xss', MessageType: 1, Priority: 2, MessageBody: { Message: text },
      });
      await page.locator('#messages .message-text', { hasText: '<script>window.pwned=5</script>' }).waitFor();
      const refused = page.locator('#messages .media-refused');
      await eventually(async () => (await refused.count()) === 2, 'both hostile media are shown as refused');
      assert.match(await refused.first().textContent(), /<img src=x onerror=.*not shown/);
      await refused.first().click();
      assert.equal(await page.locator('#messages a[href^="javascript:" i], #messages [src^="data:" i]').count(), 0);
      assert.equal(await page.locator('#messages script, #messages img[src="x"]').count(), 0);
      assert.equal(await page.evaluate(() => window.pwned), undefined, 'no hostile script ran');
    });
  });

  test('opening a room enters it, and its button leaves it', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'ivan');
      await openChat(page, 'room', 'den');
      const button = page.locator('#membership');
      await button.filter({ hasText: 'Leave room' }).waitFor();
      assert.deepEqual((await hubJson(zimbot.baseUrl, '/client/v1/rooms/den')).members, ['ivan']);

      await button.click();
      await button.filter({ hasText: 'Enter room' }).waitFor();
      assert.deepEqual((await hubJson(zimbot.baseUrl, '/client/v1/rooms/den')).members, []);
    });
  });

  test('a room message reaches the page only while it is in the room', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'lena');
      await openChat(page, 'room', 'parlour');
      const button = page.locator('#membership');
      await button.filter({ hasText: 'Leave room' }).click();
      await button.filter({ hasText: 'Enter room' }).waitFor();
      await postToRoom(zimbot.baseUrl, 'judy', 'parlour', 'while you were out');

      await button.click();
      await button.filter({ hasText: 'Leave room' }).waitFor();
      await postToRoom(zimbot.baseUrl, 'judy', 'parlour', 'welcome back');
      await page.locator('#messages li.message[data-from="judy"]', { hasText: 'welcome back' }).waitFor();
      // Sent before the message that arrived, to a room the page was not in: it never reaches the page.
      assert.equal(await page.locator('#messages li.message', { hasText: 'while you were out' }).count(), 0);
    });
  });

  test('the group button joins the open group', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'kate');
      await openChat(page, 'group', 'club');
      const button = page.locator('#membership');
      await button.filter({ hasText: 'Join group' }).click();
      await button.filter({ hasText: 'Leave group' }).waitFor();
      assert.deepEqual((await hubJson(zimbot.baseUrl, '/client/v1/groups/club')).members, ['kate']);
    });
  });

  test('leaving a group as its last member disbands it and the page offers no way back', { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'liam');
      await openChat(page, 'group', 'book-club');
      const button = page.locator('#membership');
      await button.filter({ hasText: 'Join group' }).click();
      await button.filter({ hasText: 'Leave group' }).click();
      await button.filter({ hasText: 'Disbanded' }).waitFor();
      assert.equal(await button.isDisabled(), true, 'a disbanded group cannot be joined again');
      assert.equal((await hubJson(zimbot.baseUrl, '/client/v1/groups/book-club')).disbanded, true);
    });
  });

  test("an upload over the hub's cap is explained in the page", { timeout: TEST_TIMEOUT_MS }, async () => {
    await withPage(async (page) => {
      await signIn(page, zimbot.baseUrl, 'frank');
      await openChat(page, 'group', 'archive');
      const twoMegabytes = Buffer.alloc(2 * 1024 * 1024, 7);
      await page.locator('#file-input').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: twoMegabytes });

      const error = page.locator('#chat-error');
      await error.waitFor({ state: 'visible' });
      const text = await error.textContent();
      assert.match(text, /big\.bin/);
      assert.match(text, /too large/);
      assert.match(text, /1\.0 MB/, 'the hub\'s limit is named');
      assert.match(text, /413/);
      await page.locator('#upload').waitFor({ state: 'hidden' });
      assert.equal(await page.locator('#messages li.message').count(), 0, 'nothing was posted');
      await saveScreenshot(page, 'upload-too-large');
    });
  });
});

describe('when the hub goes away', { timeout: 2 * TEST_TIMEOUT_MS }, () => {
  let zimbot;
  let browser;

  before(async () => {
    zimbot = await startZimbot({ bots: '  []' });
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (zimbot) await zimbot.dispose();
  });

  test('a banner says so, and the page reconnects and re-enters its room when it is back', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { context, page } = await newPage(browser);
    try {
      await signIn(page, zimbot.baseUrl, 'grace');
      await openChat(page, 'room', 'lobby');
      await zimbot.stop();
      const banner = page.locator('#banner');
      await banner.waitFor({ state: 'visible' });
      await saveScreenshot(page, 'hub-unreachable');
      // The stream's error ("Lost the connection to the hub") or a request that failed first ("The hub at … cannot
      // be reached"), whichever the page noticed first: both say the hub is gone.
      assert.match(await banner.textContent(), /lost the connection to the hub|the hub at .* cannot be reached/i);

      await zimbot.restart();
      // A restart empties every room; the page goes back into the one it has open once its stream is back.
      await banner.waitFor({ state: 'hidden' });
      await eventually(
        async () => (await hubJson(zimbot.baseUrl, '/client/v1/rooms/lobby')).members.includes('grace'),
        'the page to enter lobby again',
      );
      await postToRoom(zimbot.baseUrl, 'henry', 'lobby', 'back again');
      await page.locator('#messages li.message[data-from="henry"]', { hasText: 'back again' }).waitFor();
    } finally {
      await context.close();
    }
  });
});
