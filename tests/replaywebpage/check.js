// Open each article of a WACZ in ReplayWeb.page (its released files, served on 127.0.0.1) in
// headless Chromium, and print what the replayed page shows: one JSON line per URL.
// Usage: node check.js BASE_URL URL... (NODE_PATH: the folder holding puppeteer-core)
const puppeteer = require('puppeteer-core');

async function replayed(page, url, deadline) {
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame.url().endsWith('mp_/' + url)) {  // the page as ReplayWeb.page serves it from the archive
        try {  // a frame still loading or replaced can leave a call unanswered: never wait on one
          const got = await Promise.race([
            frame.evaluate(() => ({title: document.title, text: document.body ? document.body.innerText : ''})),
            new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), 5000))]);
          if (got.text) return {...got, frame: frame.url()};
        } catch (e) { /* the frame is still loading */ }
      }
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  return {error: 'no replayed page within the time', frames: page.frames().map(f => f.url())};
}

(async () => {
  const [base, ...urls] = process.argv.slice(2);
  const say = what => console.error(`${new Date().toISOString()} ${what}`);
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, protocolTimeout: 30000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-breakpad', '--disable-crash-reporter', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync']});
  say('browser started');
  try {
    const page = await browser.newPage();
    page.on('pageerror', error => say(`page error: ${error.message}`));
    page.on('console', message => message.type() === 'error' && say(`console: ${message.text()}`));
    await page.goto(`${base}/embed.html`);
    say('page loaded');
    for (const url of urls) {
      let shown;
      // A loaded machine can leave the viewer's service worker without the archive: the
      // page is loaded again (up to three tries of 30 s), as a reader would.
      for (let attempt = 1; attempt <= 3; attempt++) {
        if (attempt > 1) {
          say(`try ${attempt} for ${url}: ${shown.error}`);
          await page.reload();
        }
        await page.evaluate(u => document.getElementById('rwp').setAttribute('url', u), url);
        shown = await replayed(page, url, Date.now() + 30000);
        if (!shown.error) break;
      }
      console.log(JSON.stringify({url, ...shown}));
      say(`replayed ${url}`);
    }
  } finally {
    say('closing');
    await browser.close();
    say('closed');
  }
})().catch(error => { console.error(error); process.exit(1); });
