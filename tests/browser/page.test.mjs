// The execution page in a real browser (Debian's Chromium, driven by Playwright): it loads
// from a file with no network, draws every state, and clicking a failed state shows its error
// and cause; a screenshot is kept as the test's artifact.
//
//   node tests/browser/page.test.mjs PAGE.html SCREENSHOT.png
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';

const [page_file, screenshot] = process.argv.slice(2);
assert.ok(page_file && screenshot, 'usage: page.test.mjs PAGE.html SCREENSHOT.png');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-background-networking'],
});
let passed = 0;
const check = async (name, body) => {
  await body();
  passed += 1;
  console.log(`ok      ${name}`);
};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(pathToFileURL(page_file).href);

  await check('the page loads with no request but itself and no script error', async () => {
    assert.deepEqual(requests.filter((url) => !url.startsWith('file:')), []);
    assert.deepEqual(errors, []);
    assert.equal(await page.textContent('#status'), 'FAILED');
  });

  await check('every state is drawn, coloured by what it did', async () => {
    const states = await page.$$eval('.state[data-state]', (gs) =>
      Object.fromEntries(gs.map((g) => [g.getAttribute('data-state'), g.getAttribute('class')])));
    for (const name of ['Validate', 'CheckStock', 'Reserve', 'Charge', 'AwaitPickup', 'Accepted', 'Rejected']) {
      assert.ok(states[name], `${name} is drawn`);
    }
    assert.match(states.Charge, /\bcaught\b/);
    assert.match(states.Rejected, /\bfailed\b/);
    assert.match(states.Accepted, /\bnot-reached\b/);
  });

  await check('clicking the state that failed shows its error and cause', async () => {
    await page.click('.state[data-state="Charge"]');
    assert.equal(await page.textContent('#details .state-name'), 'Charge');
    assert.equal(await page.textContent('#details .error-name'), 'Payments.Declined');
    assert.equal(await page.textContent('#details .cause'), 'insufficient funds');
    assert.match(await page.textContent('#details .input'), /"lines"/);
    const mine = await page.$$eval('#events tr.mine', (rows) => rows.length);
    assert.ok(mine > 0, 'its events are marked in the list');
  });

  await check('clicking the Fail state shows the error the execution ended with', async () => {
    await page.click('.state[data-state="Rejected"]');
    assert.equal(await page.textContent('#details .state-name'), 'Rejected');
    assert.equal(await page.textContent('#details .error-name'), 'Order.Rejected');
    await page.screenshot({ path: screenshot });
  });
} finally {
  await browser.close();
}
console.log(`browser: ${passed} passed, 0 failed (screenshot: ${screenshot})`);
