// Browser test of the Social Inbox webapp: loads the REAL plugin bundle (webapp/dist/main.js)
// into headless Chromium on a page that stands in for the Mattermost webapp (host.tsx),
// against a fake plugin API with sample leads (server.mjs, fixtures/), and checks what a
// person would see: the inbox with its tabs, rows, countdowns and Claim buttons, the lead
// header, the channel banner and the delivery state under the operator's replies. It
// takes screenshots into browser-test/out/ and writes out/summary.txt.
//
//     make test-browser                    # builds the plugin bundle and the host, then runs this
//     cd webapp && node browser-test/run.mjs   # when both bundles are already built
//
// Uses Debian's chromium (CHROMIUM_PATH, default /usr/bin/chromium), never a downloaded
// browser. BROWSER_TEST_TIMEOUT_MS (default 5000) is how long each check waits for the page;
// BROWSER_TEST_NOW (ISO time) fixes the clock of the server and the page for reproducible
// screenshots (default: now, to the minute); BROWSER_TEST_BUNDLE tests another build of
// main.js. Exit status: 0 all checks passed, 1 some check
// failed, 2 the harness itself could not run (missing bundle or browser, server error).

/* global document, window, getComputedStyle, Node */

import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {chromium} from 'playwright-core';

import {PATHS, PLUGIN_ID, startServer} from './server.mjs';

// ================================================================================
// EXPECTED: what a person should see, in one place. The components are still being
// written; adjust the wording here, not in the checks. Regular expressions are matched
// against visible text or accessible names (case-sensitive unless flagged /i).
// ================================================================================
const EXPECTED = {
    // The channel-header button that opens the inbox, and the sidebar's title.
    headerButton: /Social Inbox/,
    rhsTitle: /Social Inbox/,

    // Registrations the issue asks of src/index.tsx.
    registrations: [
        'registerReducer',
        'registerRightHandSidebarComponent',
        'registerChannelHeaderButtonAction',
        'registerChannelToastComponent',
        'registerPostEditorActionComponent',
        'registerMessageWillBePostedHook',
        'registerPostMessageAttachmentComponent',
        'registerAdminConsoleCustomSetting',
        'registerWebSocketEventHandler',
        'registerReconnectHandler',
    ],
    adminSettingKey: 'ConnectionStatus',
    websocketEvents: [`custom_${PLUGIN_ID}_lead_updated`, `custom_${PLUGIN_ID}_delivery_updated`],

    // Tabs of the inbox: the accessible name starts with the label and carries the count
    // (count: exact number for the fixture data; minCount: at least).
    tabs: [
        {label: 'Unclaimed', count: 3},
        {label: 'Mine', count: 1},
        {label: 'All open', count: 5},
        {label: 'At risk', minCount: 1},
    ],
    allTab: 'All open',

    // Rows on the "All open" tab, in risk order: the lead whose window closes soonest first.
    contacts: ['Dana Whitfield', 'Marco Alvarez', 'Priya Nair', 'Ken Okafor', 'Lena Fischer'],
    firstByRisk: 'Dana Whitfield',
    countdown: {contact: 'Dana Whitfield', text: /\b40\s?m(in(ute)?s?)?\b.*\bleft\b/i},
    owners: [
        {contact: 'Marco Alvarez', owner: /\bYou\b|Sam Rivera|@?sam\.rivera/},
        {contact: 'Priya Nair', owner: /Jordan Lee|@?jordan\.lee/},
    ],
    claimButton: /^Claim\b/,
    unclaimed: ['Dana Whitfield', 'Ken Okafor', 'Lena Fischer'],
    claimed: ['Marco Alvarez', 'Priya Nair'],

    // Claiming Dana's lead from her row.
    claim: {contact: 'Dana Whitfield', ownerAfter: /\bYou\b|Sam Rivera|@?sam\.rivera/, countsAfter: {Unclaimed: 2, Mine: 2}},

    // The lead header of the current channel (Marco's lead, claimed by the current user).
    leadHeader: {
        contact: 'Marco Alvarez',
        platform: /Instagram/,
        source: /comment/i,
        window: /\b23\s?h/i,
        sending: /Sending will\b/,
        buttons: [/Close/i],
    },
    banner: {contact: 'Marco Alvarez'},

    // Delivery lines under the operator's two replies in the current channel.
    delivery: {
        sent: /^Sent$/,
        failed: /^Not delivered: .*Meta's server was unavailable/,
        retryButton: /^Retry$/,
        afterRetry: /Sending again|Sending…|Retrying/,
    },

    // A websocket lead_updated for Ken's lead, now claimed by Jordan Lee.
    leadUpdated: {contact: 'Ken Okafor', owner: /Jordan Lee|@?jordan\.lee/},

    // Clicking Priya's row goes to her lead channel.
    navigation: {contact: 'Priya Nair', url: '/sales/channels/fb-priya-nair', headerContact: 'Priya Nair'},

    // A channel that is not a lead channel: no lead header, no banner.
    nonLeadChannel: 'Town Square',
};

// ---- configuration -------------------------------------------------------------------

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'out');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 5000);
const VIEWPORT = {width: 1280, height: 800};
const TIMEZONE = 'America/Denver';
const NOW = process.env.BROWSER_TEST_NOW ? Date.parse(process.env.BROWSER_TEST_NOW) : Math.floor(Date.now() / 60000) * 60000;
const API = `/plugins/${PLUGIN_ID}/api/v1`;

const leadsFixture = JSON.parse(fs.readFileSync(PATHS.leads, 'utf8'));
const worldFixture = JSON.parse(fs.readFileSync(PATHS.world, 'utf8'));
const leadOf = (contact) => leadsFixture.leads.find((l) => l.contact.name === contact);
const currentLead = leadsFixture.leads.find((l) => l.channel_id === worldFixture.currentChannelId);
const [sentDelivery, failedDelivery] = ['sent', 'failed'].map((s) => worldFixture.deliveries.find((d) => d.state === s));

// ---- the check runner ---------------------------------------------------------------

class HarnessError extends Error {}

const results = [];
const passed = new Set();
const notes = [];
const screenshots = [];
const timings = {};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function assert(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

// Retries fn until it stops throwing or the timeout passes; then rethrows its last error.
async function eventually(fn, timeout = TIMEOUT) {
    const deadline = Date.now() + timeout;
    for (;;) {
        try {
            return await fn();
        } catch (err) {
            if (Date.now() > deadline) {
                throw err;
            }
        }
        await sleep(100);
    }
}

// Waits for a locator to be visible; on timeout says what did not show and, when given a
// context locator, what a person sees there instead.
async function shows(locator, what, context = null) {
    try {
        await locator.waitFor({state: 'visible', timeout: TIMEOUT});
    } catch (err) {
        if (!/Timeout/.test(err.message)) {
            throw err;
        }
        let seen = '';
        if (context) {
            seen = await context.innerText({timeout: 500}).then((t) => `; it shows "${t.replace(/\s+/g, ' ').trim().slice(0, 200)}"`, () => '');
        }
        throw new Error(`${what} did not show within ${TIMEOUT} ms${seen}`);
    }
}

// The page at its first failed check, to see what went wrong (one per page).
let current = null; // {page, label, shot}
async function failureScreenshot(checkId) {
    if (!current || current.shot || current.page.isClosed()) {
        return;
    }
    current.shot = true;
    try {
        await screenshot(current.page, `failure-${current.label}-${checkId}.png`, `the ${current.label} page when "${checkId}" failed`);
    } catch {
        // A failure screenshot is a courtesy; the check already failed.
    }
}

async function check(id, title, fn, {needs = []} = {}) {
    const missing = needs.filter((n) => !passed.has(n));
    if (missing.length > 0) {
        results.push({id, title, status: 'SKIP', detail: `needs ${missing.join(', ')}`});
        console.log(`SKIP  ${title} (needs ${missing.join(', ')})`);
        return false;
    }
    const started = Date.now();
    try {
        const detail = (await fn()) || '';
        results.push({id, title, status: 'PASS', detail, ms: Date.now() - started});
        passed.add(id);
        console.log(`PASS  ${title}${detail ? ` (${detail})` : ''}`);
        return true;
    } catch (err) {
        if (err instanceof HarnessError) {
            throw err;
        }
        const detail = String(err && err.message ? err.message : err).split('\n')[0];
        results.push({id, title, status: 'FAIL', detail, ms: Date.now() - started});
        console.log(`FAIL  ${title}\n      ${detail}`);
        await failureScreenshot(id);
        return false;
    }
}

// ---- page helpers ---------------------------------------------------------------------

const pageErrors = []; // {page, kind, text}

function watch(page, label, server) {
    page.on('pageerror', (err) => pageErrors.push({page: label, kind: 'page error', text: err.stack || err.message}));
    page.on('console', (msg) => {
        if (msg.type() !== 'error') {
            return;
        }
        const text = msg.text();
        const url = msg.location()?.url || '';

        // Chrome logs every 4xx answer as "Failed to load resource"; an answer the API
        // contract defines for normal use (404 "not a lead channel", 409) is not an error.
        if (/^Failed to load resource: the server responded with a status of \d+/.test(text) &&
            server.requests.some((r) => r.url === url && r.expected)) {
            return;
        }
        pageErrors.push({page: label, kind: 'console error', text: url && !text.includes(url) ? `${text} [${url}]` : text});
    });
    page.on('requestfailed', (req) => {
        if (!req.url().startsWith(server.url) && !/ERR_ABORTED/.test(req.failure()?.errorText || '')) {
            notes.push(`${label}: request to ${req.url()} failed (${req.failure()?.errorText})`);
        }
    });
}

function avatarSvg(name) {
    const initials = name.split(/\s+/).map((w) => w[0]).join('').slice(0, 2);
    let hue = 0;
    for (const c of name) {
        hue = (hue * 31 + c.charCodeAt(0)) % 360;
    }
    return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" fill="hsl(${hue} 45% 45%)"/><text x="32" y="41" font-family="sans-serif" font-size="24" font-weight="600" fill="#fff" text-anchor="middle">${initials}</text></svg>`;
}

const externalRequests = [];

async function newPage(browser, server, label, {colorScheme}) {
    const context = await browser.newContext({viewport: VIEWPORT, locale: 'en-US', timezoneId: TIMEZONE, colorScheme, deviceScaleFactor: 1});

    // One clock for the server and the page, so "40m left" is exactly 40 minutes.
    await context.clock.setFixedTime(NOW);

    // No internet: buyers' avatars (Meta CDNs) are drawn locally; anything else external
    // is refused and reported.
    await context.route((url) => url.origin !== server.url, async (route) => {
        const url = route.request().url();
        const lead = leadsFixture.leads.find((l) => l.contact.avatar_url === url);
        if (lead) {
            await route.fulfill({status: 200, contentType: 'image/svg+xml', body: avatarSvg(lead.contact.name)});
            return;
        }
        externalRequests.push(url);
        await route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    watch(page, label, server);
    current = {page, label, shot: false};
    return {context, page};
}

// Loads the host page and waits until the plugin has registered (or failed to).
async function loadHost(page, url) {
    const response = await page.goto(url, {waitUntil: 'load'});
    if (!response || !response.ok()) {
        throw new HarnessError(`the host page ${url} answered ${response ? response.status() : 'nothing'}`);
    }
    const hasHost = await page.evaluate(() => Boolean(window.__host));
    if (!hasHost) {
        throw new HarnessError('the host bundle did not start (window.__host is missing); see the page errors above');
    }
    await page.waitForFunction(() => window.__host.phase !== 'loading', null, {timeout: 10000}).catch(() => undefined);
    return page.evaluate(() => ({phase: window.__host.phase, error: window.__host.error, pluginIds: window.__host.pluginIds}));
}

const rhsOf = (page) => page.getByRole('complementary', {name: EXPECTED.rhsTitle});
const rowsOf = (page) => rhsOf(page).getByTestId('lead-row');
const rowOf = (page, contact) => rowsOf(page).filter({hasText: contact});

async function openInbox(page) {
    const button = page.getByRole('region', {name: 'Channel header'}).getByRole('button', {name: EXPECTED.headerButton});
    await button.click({timeout: TIMEOUT});
    await shows(rhsOf(page), `a right-hand sidebar titled ${EXPECTED.rhsTitle}`);
}

// The tabs as assistive technology reports them: [{name, selected}].
async function readTabs(page) {
    const tablist = rhsOf(page).getByRole('tablist').first();
    const snapshot = await tablist.ariaSnapshot({timeout: TIMEOUT});
    const tabs = [];
    for (const line of snapshot.split('\n')) {
        const m = /- tab "((?:[^"\\]|\\.)*)"(.*)$/.exec(line) || /- tab ([^:[\]]+?)(?: \[|:|$)(.*)$/.exec(line);
        if (m) {
            tabs.push({name: m[1].replace(/\\"/g, '"').trim(), selected: /\[selected\]/.test(m[2] || line)});
        }
    }
    return tabs;
}

function countIn(name) {
    const m = /(\d+)/.exec(name);
    return m ? Number(m[1]) : null;
}

async function findTab(page, label) {
    const tabs = await readTabs(page);
    const tab = tabs.find((t) => t.name.startsWith(label));
    assert(tab, `no tab whose name starts with "${label}"; the tabs are: ${tabs.map((t) => `"${t.name}"`).join(', ') || 'none'}`);
    return tab;
}

async function showAllOpen(page) {
    const tab = rhsOf(page).getByRole('tab', {name: new RegExp(`^${EXPECTED.allTab}`)});
    if (await tab.count() === 0) {
        return false;
    }
    await tab.first().click({timeout: TIMEOUT});
    await eventually(async () => assert((await findTab(page, EXPECTED.allTab)).selected, `the "${EXPECTED.allTab}" tab is not selected after clicking it`));
    return true;
}

async function rowTexts(page) {
    return (await rowsOf(page).allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

// Buttons, tabs and links without an accessible name, as Chromium's accessibility tree has them.
async function unnamedControls(page) {
    const cdp = await page.context().newCDPSession(page);
    try {
        await cdp.send('DOM.getDocument', {depth: 0});
        const {nodes} = await cdp.send('Accessibility.getFullAXTree');
        const out = [];
        for (const n of nodes) {
            const role = n.role?.value;
            if (n.ignored || !['button', 'tab', 'link', 'menuitem', 'checkbox', 'switch'].includes(role) || (n.name?.value || '').trim()) {
                continue;
            }
            let html = '';
            if (n.backendDOMNodeId) {
                try {
                    const {object} = await cdp.send('DOM.resolveNode', {backendNodeId: n.backendDOMNodeId});
                    const {result} = await cdp.send('Runtime.callFunctionOn', {objectId: object.objectId, functionDeclaration: 'function () { return this.outerHTML.slice(0, 160); }', returnByValue: true});
                    html = result.value;
                } catch {
                    html = '(element gone)';
                }
            }
            out.push(`${role}: ${html}`);
        }
        return out;
    } finally {
        await cdp.detach();
    }
}

// Elements inside the sidebar that would look wrong on a dark background: light surfaces
// and near-black text (colours hard-coded instead of taken from the theme variables).
async function darkThemeProblems(page) {
    return page.evaluate(() => {
        const root = document.querySelector('#sidebar-right');
        if (!root) {
            return ['no right-hand sidebar'];
        }
        const parse = (c) => {
            const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(c);
            return m ? {r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4]} : null;
        };
        const lum = ({r, g, b}) => (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        const describe = (el) => {
            const text = (el.innerText || el.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim().slice(0, 40);
            return `<${el.tagName.toLowerCase()}${el.dataset.testid ? ` data-testid="${el.dataset.testid}"` : ''}> "${text}"`;
        };
        const problems = [];
        for (const el of root.querySelectorAll('*')) {
            const rect = el.getBoundingClientRect();
            if (rect.width < 4 || rect.height < 4) {
                continue;
            }
            const style = getComputedStyle(el);
            if (style.visibility === 'hidden' || style.display === 'none') {
                continue;
            }
            const bg = parse(style.backgroundColor);
            if (bg && bg.a > 0.5 && lum(bg) > 0.75) {
                problems.push(`light background ${style.backgroundColor} on ${describe(el)}`);
            }
            const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
            const fg = parse(style.color);
            if (hasText && fg && fg.a > 0.5 && lum(fg) < 0.3) {
                problems.push(`dark text ${style.color} on ${describe(el)}`);
            }
        }
        return problems;
    });
}

async function screenshot(target, file, description, options = {}) {
    const full = path.join(OUT, file);
    await target.screenshot({path: full, animations: 'disabled', ...options});
    const buf = fs.readFileSync(full);
    const width = buf.readUInt32BE(16);
    const height = buf.readUInt32BE(20);
    screenshots.push({file, width, height, bytes: buf.length, description: typeof description === 'function' ? await description() : description});
}

const pluginRequests = (server, method, route) => server.requests.filter((r) => r.kind === 'plugin-api' && r.method === method && r.path === `${API}${route}`);

// ---- the test ---------------------------------------------------------------------------

async function lightPage(browser, server) {
    const {context, page} = await newPage(browser, server, 'light', {colorScheme: 'light'});
    const currentChannel = worldFixture.channels.find((c) => c.id === worldFixture.currentChannelId);
    const started = Date.now();
    const loaded = await loadHost(page, `${server.url}/sales/channels/${currentChannel.name}`);
    timings.pageLoad = Date.now() - started;

    await check('plugin-loads', 'the real bundle loads and its initialize() completes', async () => {
        assert(loaded.pluginIds.includes(PLUGIN_ID), `window.registerPlugin was not called with "${PLUGIN_ID}" (${loaded.error || 'no error reported'})`);
        assert(loaded.phase === 'initialized', `initialize() failed: ${loaded.error}`);
        return `${await page.evaluate(() => window.__host.react)}; ${page.url().replace(server.url, '')}`;
    });
    const registrations = await page.evaluate(() => window.__host.registrations);
    notes.push(`registry calls: ${registrations.map((r) => `${r.method}(${r.args})${r.known ? '' : ' [not rendered by the host]'}`).join('; ') || 'none'}`);

    await check('registrations', 'index.tsx registers everything the issue lists', () => {
        const methods = new Set(registrations.map((r) => r.method));
        const missing = EXPECTED.registrations.filter((m) => !methods.has(m));
        assert(missing.length === 0, `not registered: ${missing.join(', ')}`);
        const setting = registrations.find((r) => r.method === 'registerAdminConsoleCustomSetting');
        assert(setting.args.startsWith(JSON.stringify(EXPECTED.adminSettingKey)), `registerAdminConsoleCustomSetting is not for "${EXPECTED.adminSettingKey}" (${setting.args})`);
        return `${registrations.length} calls`;
    }, {needs: ['plugin-loads']});

    await check('websocket-handlers', 'handlers for the lead_updated and delivery_updated events are registered', async () => {
        const events = await page.evaluate(() => window.__host.websocketEvents());
        const missing = EXPECTED.websocketEvents.filter((e) => !events.includes(e));
        assert(missing.length === 0, `no handler for ${missing.join(', ')} (registered: ${events.join(', ') || 'none'})`);
    }, {needs: ['plugin-loads']});

    await check('reducer', `the plugin reducer is mounted at state['plugins-${PLUGIN_ID}']`, async () => {
        const keys = await page.evaluate((id) => Object.keys(window.__host.store.getState()[`plugins-${id}`] || {}), PLUGIN_ID);
        assert(keys.length > 0, `state['plugins-${PLUGIN_ID}'] is missing or empty`);
        return `keys: ${keys.join(', ')}`;
    }, {needs: ['plugin-loads']});

    await check('header-button', 'the channel header shows the Social Inbox button', async () => {
        const button = page.getByRole('region', {name: 'Channel header'}).getByRole('button', {name: EXPECTED.headerButton});
        await shows(button, `a channel-header button named ${EXPECTED.headerButton}`, page.getByRole('region', {name: 'Channel header'}));
    }, {needs: ['plugin-loads']});

    await check('rhs-opens', 'clicking the button opens the inbox in the right-hand sidebar', async () => {
        await openInbox(page);
    }, {needs: ['header-button']});

    await check('inbox-rows', 'the inbox shows lead rows (data-testid="lead-row")', async () => {
        await shows(rowsOf(page).first(), 'an element with data-testid="lead-row" in the sidebar', rhsOf(page));
        const listed = pluginRequests(server, 'GET', '/leads');
        assert(listed.length > 0, 'the rows appeared without a GET /leads');
        return `${await rowsOf(page).count()} rows on the first tab`;
    }, {needs: ['rhs-opens']});

    await check('tablist', 'the tabs are a tablist of tabs with exactly one selected', async () => {
        const count = await rhsOf(page).getByRole('tablist').count();
        assert(count >= 1, 'no element with role "tablist" in the inbox');
        const tabs = await readTabs(page);
        assert(tabs.length >= EXPECTED.tabs.length, `the tablist has ${tabs.length} tabs, expected ${EXPECTED.tabs.length}`);
        const selected = tabs.filter((t) => t.selected);
        assert(selected.length === 1, `${selected.length} tabs are selected (aria-selected)`);
        return tabs.map((t) => `"${t.name}"${t.selected ? ' (selected)' : ''}`).join(', ');
    }, {needs: ['rhs-opens']});

    await check('tab-counts', 'each tab is named with its count (Unclaimed 3, Mine 1, All open 5, At risk ≥1)', async () => {
        const wrong = [];
        for (const want of EXPECTED.tabs) {
            const tab = (await readTabs(page)).find((t) => t.name.startsWith(want.label));
            if (!tab) {
                wrong.push(`no "${want.label}" tab`);
                continue;
            }
            const n = countIn(tab.name);
            if (n === null) {
                wrong.push(`"${tab.name}" shows no count`);
            } else if (want.count !== undefined && n !== want.count) {
                wrong.push(`"${tab.name}": expected ${want.count}`);
            } else if (want.minCount !== undefined && n < want.minCount) {
                wrong.push(`"${tab.name}": expected at least ${want.minCount}`);
            }
        }
        assert(wrong.length === 0, wrong.join('; '));
    }, {needs: ['tablist']});

    let onAllTab = false;
    await check('all-open-tab', `clicking the "${EXPECTED.allTab}" tab lists every open lead`, async () => {
        onAllTab = await showAllOpen(page);
        assert(onAllTab, `no "${EXPECTED.allTab}" tab to click`);
        await eventually(async () => {
            const n = await rowsOf(page).count();
            assert(n === EXPECTED.contacts.length, `${n} rows, expected ${EXPECTED.contacts.length}`);
        });
    }, {needs: ['inbox-rows']});

    await check('contacts', 'every sample lead has one row with the contact name', async () => {
        const texts = await rowTexts(page);
        const problems = EXPECTED.contacts.
            map((name) => [name, texts.filter((t) => t.includes(name)).length]).
            filter(([, n]) => n !== 1).
            map(([name, n]) => `${name}: ${n} rows`);
        assert(problems.length === 0, `${problems.join('; ')}${onAllTab ? '' : ` (rows of the first tab only: no "${EXPECTED.allTab}" tab)`}`);
    }, {needs: ['inbox-rows']});

    await check('risk-order', `rows are in risk order: ${EXPECTED.firstByRisk} (window closes in 40 minutes) first`, async () => {
        const texts = await rowTexts(page);
        const order = texts.map((t) => EXPECTED.contacts.find((c) => t.includes(c)) || t.slice(0, 20));
        assert(order[0] === EXPECTED.firstByRisk, `the first row is ${order[0]}; order: ${order.join(', ')}`);
        return order.join(' > ');
    }, {needs: ['inbox-rows']});

    await check('countdown', `${EXPECTED.countdown.contact}'s row shows the window countdown "40m left" (data-testid="window-countdown")`, async () => {
        const countdown = rowOf(page, EXPECTED.countdown.contact).getByTestId('window-countdown');
        await shows(countdown.first(), `data-testid="window-countdown" in ${EXPECTED.countdown.contact}'s row`, rowOf(page, EXPECTED.countdown.contact).first());
        const text = (await countdown.first().innerText()).replace(/\s+/g, ' ').trim();
        assert(EXPECTED.countdown.text.test(text), `the countdown says "${text}"`);
        return `"${text}"`;
    }, {needs: ['inbox-rows']});

    await check('owners', 'rows name the owner of claimed leads (you; Jordan Lee)', async () => {
        const wrong = [];
        for (const {contact, owner} of EXPECTED.owners) {
            const row = rowOf(page, contact);
            if (await row.count() === 0) {
                wrong.push(`no row for ${contact}`);
                continue;
            }
            const text = (await row.first().innerText()).replace(/\s+/g, ' ');
            if (!owner.test(text)) {
                wrong.push(`${contact}'s row does not match ${owner}: "${text.slice(0, 120)}"`);
            }
        }
        assert(wrong.length === 0, wrong.join('; '));
    }, {needs: ['inbox-rows']});

    await check('claim-buttons', 'unclaimed rows have a Claim button, claimed rows do not', async () => {
        const wrong = [];
        for (const contact of EXPECTED.unclaimed) {
            if (await rowOf(page, contact).getByRole('button', {name: EXPECTED.claimButton}).count() !== 1) {
                wrong.push(`${contact}: no Claim button`);
            }
        }
        for (const contact of EXPECTED.claimed) {
            if (await rowOf(page, contact).getByRole('button', {name: EXPECTED.claimButton}).count() !== 0) {
                wrong.push(`${contact}: has a Claim button`);
            }
        }
        assert(wrong.length === 0, wrong.join('; '));
    }, {needs: ['inbox-rows']});

    await check('a11y-named-controls', 'every button, tab and link on the page has an accessible name', async () => {
        const unnamed = await unnamedControls(page);
        assert(unnamed.length === 0, `${unnamed.length} without a name: ${unnamed.join(' | ')}`);
    }, {needs: ['plugin-loads']});

    await check('screenshot-inbox', 'out/inbox.png: the page with the inbox open (light theme)', async () => {
        await screenshot(page, 'inbox.png', async () => describeInbox(page, 'light'));
    }, {needs: ['rhs-opens']});

    await check('claim', `clicking Claim on ${EXPECTED.claim.contact}'s row claims the lead`, async () => {
        const lead = leadOf(EXPECTED.claim.contact);
        await rowOf(page, EXPECTED.claim.contact).getByRole('button', {name: EXPECTED.claimButton}).click({timeout: TIMEOUT});
        const posted = await eventually(async () => {
            const r = pluginRequests(server, 'POST', `/leads/${lead.id}/actions/claim`);
            assert(r.length === 1, `the server got ${r.length} POST ${API}/leads/${lead.id}/actions/claim`);
            return r[0];
        });
        assert(posted.headers['x-csrf-token'] === server.csrfToken, 'the claim request carried no (or a wrong) X-CSRF-Token');
        assert(posted.status === 200, `the claim answered ${posted.status}: ${JSON.stringify(posted.response)}`);
        await eventually(async () => {
            let row = rowOf(page, EXPECTED.claim.contact);
            if (await row.count() === 0) {
                // It may have left the current tab; a person would look under Mine.
                await rhsOf(page).getByRole('tab', {name: /^Mine/}).click({timeout: 1000});
                row = rowOf(page, EXPECTED.claim.contact);
            }
            const text = (await row.first().innerText({timeout: 1000})).replace(/\s+/g, ' ');
            assert(EXPECTED.claim.ownerAfter.test(text), `after the claim the row says "${text.slice(0, 140)}"`);
            assert(await row.first().getByRole('button', {name: EXPECTED.claimButton}).count() === 0, 'the row still has a Claim button');
        });
    }, {needs: ['claim-buttons']});

    await check('claim-counts', 'after the claim the tab counts move (Unclaimed 2, Mine 2)', async () => {
        await eventually(async () => {
            const tabs = await readTabs(page);
            const wrong = Object.entries(EXPECTED.claim.countsAfter).
                map(([label, n]) => [tabs.find((t) => t.name.startsWith(label)), n, label]).
                filter(([tab, n]) => !tab || countIn(tab.name) !== n).
                map(([tab, n, label]) => `${tab ? `"${tab.name}"` : `no ${label} tab`}, expected ${n}`);
            assert(wrong.length === 0, wrong.join('; '));
        });
    }, {needs: ['claim', 'tab-counts']});

    // -- the lead header of the current channel
    let header = null;
    await check('lead-header', `the lead header (data-testid="lead-header") shows for the current channel (${currentLead.contact.name})`, async () => {
        await eventually(async () => {
            const inRhs = rhsOf(page).getByTestId('lead-header');
            const anywhere = page.getByTestId('lead-header');
            header = await inRhs.count() > 0 ? inRhs.first() : anywhere.first();
            assert(await anywhere.count() > 0, 'no element with data-testid="lead-header" on the page');
            assert(await header.isVisible(), 'the lead header is not visible');
        });
        const where = await header.evaluate((el) => (el.closest('#sidebar-right') ? 'in the sidebar' : el.closest('[data-host-area="channel-toasts"]') ? 'in the channel banner' : 'in the page'));
        return where;
    }, {needs: ['plugin-loads']});

    const headerText = async () => (await header.innerText()).replace(/\s+/g, ' ').trim();
    const lh = EXPECTED.leadHeader;
    await check('lead-header-contact', `the lead header names the contact (${lh.contact})`, async () => {
        await eventually(async () => assert((await headerText()).includes(lh.contact), `the header says "${(await headerText()).slice(0, 160)}"`));
    }, {needs: ['lead-header']});
    for (const [id, what, re] of [['platform', 'platform', lh.platform], ['source', 'source (comment)', lh.source], ['window', 'window time left (23h…)', lh.window], ['sending', '"Sending will …" sentence', lh.sending]]) {
        await check(`lead-header-${id}`, `the lead header shows the ${what}`, async () => {
            const text = await headerText();
            assert(re.test(text), `${re} not found in "${text.slice(0, 200)}"`);
        }, {needs: ['lead-header']});
    }
    await check('lead-header-actions', 'the lead header has named action buttons (Close …)', async () => {
        const names = [];
        for (const b of await header.getByRole('button').all()) {
            names.push(((await b.getAttribute('aria-label')) || (await b.innerText())).trim());
        }
        assert(names.length > 0, 'no buttons in the lead header');
        const missing = lh.buttons.filter((re) => !names.some((n) => re.test(n)));
        assert(missing.length === 0, `no button matching ${missing.join(', ')}; buttons: ${names.join(', ')}`);
        return names.join(', ');
    }, {needs: ['lead-header']});
    await check('screenshot-lead-header', 'out/lead-header.png: the lead header', async () => {
        await screenshot(header, 'lead-header.png', async () => `the lead header of ${currentLead.contact.name}'s lead (${await header.evaluate((el) => (el.closest('#sidebar-right') ? 'in the sidebar' : 'in the center channel'))}), light theme: "${(await headerText()).slice(0, 200)}"`);
    }, {needs: ['lead-header']});

    // -- the one-line banner at the top of the channel (registerChannelToastComponent)
    const toasts = page.locator('[data-host-area="channel-toasts"]');
    const hasToast = registrations.some((r) => r.method === 'registerChannelToastComponent');
    if (!hasToast) {
        results.push({id: 'channel-banner', title: 'the channel banner names the lead', status: 'SKIP', detail: 'no registerChannelToastComponent yet'});
        console.log('SKIP  the channel banner names the lead (no registerChannelToastComponent yet)');
    } else {
        await check('channel-banner', `the channel banner names the lead (${EXPECTED.banner.contact})`, async () => {
            await eventually(async () => {
                const text = (await toasts.innerText()).replace(/\s+/g, ' ').trim();
                assert(text.includes(EXPECTED.banner.contact), `the banner area says "${text.slice(0, 160)}"`);
            });
            await screenshot(toasts, 'channel-banner.png', async () => `the channel banner above the posts of ${currentLead.contact.name}'s channel: "${(await toasts.innerText()).replace(/\s+/g, ' ').trim().slice(0, 200)}"`);
        }, {needs: ['plugin-loads']});
    }

    // -- delivery state under the operator's replies
    const postOf = (postId) => page.locator(`article[data-host-post-id="${postId}"]`);
    await check('delivery-sent', 'the first reply shows "Sent" under it', async () => {
        await shows(postOf(sentDelivery.post_id).getByText(EXPECTED.delivery.sent).first(), `text ${EXPECTED.delivery.sent} under the reply`, postOf(sentDelivery.post_id));
    }, {needs: ['plugin-loads']});
    await check('delivery-failed', 'the second reply shows "Not delivered: …" and a Retry button', async () => {
        const post = postOf(failedDelivery.post_id);
        await shows(post.getByText(EXPECTED.delivery.failed).first(), `text ${EXPECTED.delivery.failed} under the reply`, post);
        await shows(post.getByRole('button', {name: EXPECTED.delivery.retryButton}), `a button named ${EXPECTED.delivery.retryButton} under the reply`, post);
    }, {needs: ['plugin-loads']});
    await check('deliveries-batched', 'the delivery states came from GET /deliveries with post_id parameters', async () => {
        const asks = pluginRequests(server, 'GET', '/deliveries');
        assert(asks.length > 0, 'no GET /deliveries');
        const ids = asks.flatMap((r) => new URLSearchParams(r.query).getAll('post_id'));
        for (const d of [sentDelivery, failedDelivery]) {
            assert(ids.includes(d.post_id), `no GET /deliveries asked about ${d.post_id}`);
        }
        return `${asks.length} request(s) for ${new Set(ids).size} posts`;
    }, {needs: ['delivery-sent']});
    await check('screenshot-delivery', 'out/delivery.png: the two replies with their delivery state', async () => {
        const boxes = [];
        for (const d of [sentDelivery, failedDelivery]) {
            await postOf(d.post_id).scrollIntoViewIfNeeded();
            boxes.push(await postOf(d.post_id).boundingBox());
        }
        const x = Math.min(...boxes.map((b) => b.x));
        const y = Math.min(...boxes.map((b) => b.y));
        const clip = {x, y, width: Math.max(...boxes.map((b) => b.x + b.width)) - x, height: Math.max(...boxes.map((b) => b.y + b.height)) - y};
        await screenshot(page, 'delivery.png', async () => {
            const lines = [];
            for (const d of [sentDelivery, failedDelivery]) {
                const body = (await postOf(d.post_id).innerText()).split('\n').map((l) => l.trim()).filter(Boolean);
                lines.push(`"${body.slice(-2).join(' / ')}"`);
            }
            return `the operator's two replies in ${currentLead.contact.name}'s channel and the buyer's message between them; last lines of each reply: ${lines.join(' and ')}`;
        }, {clip});
    }, {needs: ['plugin-loads']});
    await check('a11y-named-controls-2', 'with the lead header and delivery lines shown, every control still has a name', async () => {
        const unnamed = await unnamedControls(page);
        assert(unnamed.length === 0, `${unnamed.length} without a name: ${unnamed.join(' | ')}`);
    }, {needs: ['plugin-loads']});
    await check('delivery-retry', 'Retry sends POST /deliveries/{post}/retry and the line says it is sending again', async () => {
        const post = postOf(failedDelivery.post_id);
        await post.getByRole('button', {name: EXPECTED.delivery.retryButton}).click({timeout: TIMEOUT});
        const r = await eventually(async () => {
            const asks = pluginRequests(server, 'POST', `/deliveries/${failedDelivery.post_id}/retry`);
            assert(asks.length === 1, `the server got ${asks.length} retry requests`);
            return asks[0];
        });
        assert(r.headers['x-csrf-token'] === server.csrfToken, 'the retry carried no (or a wrong) X-CSRF-Token');
        await shows(post.getByText(EXPECTED.delivery.afterRetry).first(), `text ${EXPECTED.delivery.afterRetry} after Retry`, post);
    }, {needs: ['delivery-failed']});
    await check('websocket-delivery', 'a delivery_updated event turns the retried reply into "Sent"', async () => {
        const d = server.updateDelivery(failedDelivery.post_id, (x) => {
            x.state = 'sent';
            x.retryable = false;
            delete x.error;
        });
        const called = await page.evaluate(([event, data]) => window.__host.emitWebSocketEvent(event, data, {channel_id: data.channel_id}), [`custom_${PLUGIN_ID}_delivery_updated`, {post_id: d.post_id, lead_id: d.lead_id, channel_id: currentLead.channel_id, state: 'sent', error: '', retryable: false}]);
        assert(called > 0, `no handler for custom_${PLUGIN_ID}_delivery_updated`);
        await shows(postOf(failedDelivery.post_id).getByText(EXPECTED.delivery.sent).first(), `text ${EXPECTED.delivery.sent} after the event`, postOf(failedDelivery.post_id));
    }, {needs: ['delivery-failed']});

    // -- a lead changes on the server
    await check('websocket-lead', `a lead_updated event refreshes ${EXPECTED.leadUpdated.contact}'s row (claimed by Jordan Lee)`, async () => {
        const lead = leadOf(EXPECTED.leadUpdated.contact);
        const jordan = worldFixture.users.find((u) => u.username === 'jordan.lee');
        server.updateLead(lead.id, (l, t) => Object.assign(l.handoff, {state: 'claimed', owner_id: jordan.id, owner_username: jordan.username, claimed_at: t}));
        const called = await page.evaluate(([event, data]) => window.__host.emitWebSocketEvent(event, data, {channel_id: data.channel_id}), [`custom_${PLUGIN_ID}_lead_updated`, {lead_id: lead.id, channel_id: lead.channel_id}]);
        assert(called > 0, `no handler for custom_${PLUGIN_ID}_lead_updated`);
        await showAllOpen(page);
        await eventually(async () => {
            const text = (await rowOf(page, EXPECTED.leadUpdated.contact).first().innerText({timeout: 1000})).replace(/\s+/g, ' ');
            assert(EXPECTED.leadUpdated.owner.test(text), `the row says "${text.slice(0, 140)}"`);
        });
    }, {needs: ['inbox-rows']});

    // -- clicking a row goes to the lead's channel
    await check('row-navigates', `clicking ${EXPECTED.navigation.contact}'s row goes to ${EXPECTED.navigation.url} (browserHistory.push)`, async () => {
        await showAllOpen(page);
        const before = page.url();
        await rowOf(page, EXPECTED.navigation.contact).getByText(EXPECTED.navigation.contact).first().click({timeout: TIMEOUT});
        await eventually(async () => {
            const navigations = await page.evaluate(() => window.__host?.navigations ?? null);
            assert(navigations !== null, `the click loaded a new page (${page.url()}) instead of calling WebappUtils.browserHistory.push; Mattermost would reload the whole app`);
            assert(navigations.some((u) => u.includes(EXPECTED.navigation.url)), `navigations: ${JSON.stringify(navigations)} (page was ${before})`);
        });
    }, {needs: ['inbox-rows']});
    await check('lead-header-follows', `the lead header then shows ${EXPECTED.navigation.headerContact}`, async () => {
        await eventually(async () => {
            const h = page.getByTestId('lead-header').first();
            const text = (await h.innerText({timeout: 1000})).replace(/\s+/g, ' ');
            assert(text.includes(EXPECTED.navigation.headerContact), `the lead header says "${text.slice(0, 140)}"`);
        });
    }, {needs: ['row-navigates', 'lead-header']});

    // -- a channel that is not a lead channel (the API answers 404 "not a lead channel")
    await check('non-lead-channel', `in ${EXPECTED.nonLeadChannel} the lead header and the channel banner are gone`, async () => {
        await page.getByRole('navigation', {name: 'Channels'}).getByRole('link', {name: EXPECTED.nonLeadChannel}).click({timeout: TIMEOUT});
        await eventually(async () => {
            const headers = await page.getByTestId('lead-header').count();
            assert(headers === 0, `${headers} lead header(s) still on the page`);
            const banner = (await toasts.innerText()).trim();
            assert(banner === '', `the banner area still says "${banner.slice(0, 120)}"`);
        });
        const asked = server.requests.filter((r) => r.kind === 'plugin-api' && /\/channels\/[^/]+\/lead$/.test(r.path) && r.status === 404);
        assert(asked.length > 0, 'the plugin never asked GET /channels/{id}/lead for the channel');
    }, {needs: ['plugin-loads']});

    await context.close();
}

async function describeInbox(page, themeLabel) {
    const rhsOpen = await rhsOf(page).count() > 0;
    if (!rhsOpen) {
        return `the host page, ${themeLabel} theme; the inbox sidebar is not open`;
    }
    const texts = await rowTexts(page);
    let tabs = [];
    try {
        tabs = await readTabs(page);
    } catch {
        tabs = [];
    }
    const selected = tabs.find((t) => t.selected);
    const sidebar = (await rhsOf(page).innerText()).replace(/\s+/g, ' ').trim();
    const parts = [
        `the whole page (${VIEWPORT.width}x${VIEWPORT.height}), ${themeLabel} theme: channel sidebar, ${currentLead.contact.name}'s lead channel in the center, the Social Inbox open on the right`,
        tabs.length ? `tabs: ${tabs.map((t) => `"${t.name}"`).join(', ')}${selected ? `; "${selected.name}" selected` : ''}` : 'no tabs',
        texts.length ? `${texts.length} rows: ${texts.map((t) => `"${t.slice(0, 90)}"`).join('; ')}` : `no lead rows; the sidebar says "${sidebar.slice(0, 200)}"`,
    ];
    return parts.join('. ');
}

async function darkPage(browser, server) {
    server.reset();
    const {context, page} = await newPage(browser, server, 'dark', {colorScheme: 'dark'});
    const currentChannel = worldFixture.channels.find((c) => c.id === worldFixture.currentChannelId);
    await loadHost(page, `${server.url}/sales/channels/${currentChannel.name}?theme=dark`);

    await check('dark-inbox', 'dark theme (?theme=dark): the inbox opens and shows its rows', async () => {
        await openInbox(page);
        await shows(rowsOf(page).first(), 'an element with data-testid="lead-row" in the sidebar', rhsOf(page));
        await showAllOpen(page);
    }, {needs: ['plugin-loads']});
    await check('screenshot-inbox-dark', 'out/inbox-dark.png: the page with the inbox open (dark theme)', async () => {
        await screenshot(page, 'inbox-dark.png', async () => describeInbox(page, 'dark (Onyx)'));
    }, {needs: ['plugin-loads']});
    await check('dark-readable', 'dark theme: no light surfaces or near-black text in the sidebar (colours follow the theme)', async () => {
        const problems = await darkThemeProblems(page);
        assert(problems.length === 0, `${problems.length} problem(s): ${problems.slice(0, 6).join(' | ')}`);
    }, {needs: ['dark-inbox']});
    await context.close();
}

function requestChecks(server) {
    const api = server.requests.filter((r) => r.kind === 'plugin-api');
    return [
        ['api-headers', 'plugin API requests carry X-Requested-With: XMLHttpRequest (Client4.getOptions) and POSTs the CSRF token', () => {
            const bad = api.filter((r) => r.headers['x-requested-with'] !== 'XMLHttpRequest' || (r.method !== 'GET' && r.headers['x-csrf-token'] !== server.csrfToken));
            assert(bad.length === 0, bad.map((r) => `${r.method} ${r.path}`).join(', '));
            return `${api.length} requests`;
        }],
        ['api-errors', 'no unexpected HTTP errors (only the contract\'s 404 "not a lead channel" and 409s)', () => {
            const bad = server.requests.filter((r) => r.status >= 400 && !r.expected && r.path !== '/favicon.ico');
            assert(bad.length === 0, bad.map((r) => `${r.method} ${r.path}${r.query} -> ${r.status}${r.response && r.response.error ? ` (${r.response.error})` : ''}`).join('; '));
        }],
        ['no-page-errors', 'no page errors and no console errors (both themes)', () => {
            const hint = (text) => (/\b(useId|useSyncExternalStore|useTransition|useDeferredValue|useInsertionEffect|startTransition|createRoot)\b.*not a function|not a function.*\b(useId|useSyncExternalStore|useTransition|useDeferredValue|useInsertionEffect|startTransition|createRoot)\b/.test(text) ? ' [a React 18-only API: Mattermost 10 gives plugins React 17]' : '');
            assert(pageErrors.length === 0, `${pageErrors.length}: ${pageErrors.map((e) => `[${e.page}] ${e.kind}: ${e.text.split('\n')[0]}${hint(e.text)}`).join(' | ')}`);
        }],
    ];
}

function writeSummary(server, totalMs) {
    const counts = {PASS: 0, FAIL: 0, SKIP: 0};
    results.forEach((r) => counts[r.status]++);
    const lines = [];
    lines.push('Social Inbox browser test');
    lines.push(`chromium: ${timings.browserVersion || '?'} (${CHROMIUM}); viewport ${VIEWPORT.width}x${VIEWPORT.height}; clock fixed at ${new Date(NOW).toISOString()} (${TIMEZONE})`);
    lines.push(`plugin bundle: ${path.relative(path.join(HERE, '..'), PATHS.pluginBundle)} (${fs.statSync(PATHS.pluginBundle).size} bytes, built ${fs.statSync(PATHS.pluginBundle).mtime.toISOString()})`);
    lines.push(`time: ${(totalMs / 1000).toFixed(1)} s total; browser start ${timings.launch} ms; first page load ${timings.pageLoad} ms`);
    lines.push(`checks: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.SKIP} skipped`);
    lines.push('');
    lines.push('Screenshots (browser-test/out/):');
    for (const s of screenshots) {
        lines.push(`  ${s.file} (${s.width}x${s.height} px, ${Math.round(s.bytes / 1024)} KB): ${s.description}`);
    }
    if (screenshots.length === 0) {
        lines.push('  none');
    }
    lines.push('');
    lines.push('Checks:');
    for (const r of results) {
        lines.push(`  ${r.status}  ${r.title}${r.detail ? `\n        ${r.detail}` : ''}`);
    }
    lines.push('');
    lines.push('Plugin API requests:');
    const api = server.requests.filter((r) => r.kind !== 'static' && r.kind !== 'page');
    const grouped = new Map();
    for (const r of api) {
        const key = `${r.method} ${r.path.replace(/[a-z0-9]{26}/g, '{id}')} -> ${r.status}`;
        grouped.set(key, (grouped.get(key) || 0) + 1);
    }
    for (const [key, n] of grouped) {
        lines.push(`  ${n}x ${key}`);
    }
    if (externalRequests.length) {
        lines.push(`External requests refused: ${[...new Set(externalRequests)].join(', ')}`);
    }
    lines.push('');
    lines.push('Notes:');
    for (const n of notes) {
        lines.push(`  ${n}`);
    }
    const text = `${lines.join('\n')}\n`;
    fs.writeFileSync(path.join(OUT, 'summary.txt'), text);
    return text;
}

async function main() {
    const started = Date.now();
    for (const [file, how] of [[PATHS.pluginBundle, 'run `make webapp` (or `npm run build` in webapp/)'], [path.join(PATHS.hostBundleDir, 'host.js'), 'run `npx webpack --config browser-test/webpack.host.config.js` in webapp/ (or `make test-browser`)']]) {
        if (!fs.existsSync(file)) {
            throw new HarnessError(`${file} is missing: ${how}`);
        }
    }
    if (!fs.existsSync(CHROMIUM)) {
        throw new HarnessError(`no Chromium at ${CHROMIUM}. Install Debian's package (sudo apt-get install chromium) or set CHROMIUM_PATH; this test never downloads a browser.`);
    }
    if (Number.isNaN(NOW)) {
        throw new HarnessError(`BROWSER_TEST_NOW is not a date: ${process.env.BROWSER_TEST_NOW}`);
    }
    fs.mkdirSync(OUT, {recursive: true});
    for (const f of fs.readdirSync(OUT)) {
        if (/\.(png|txt)$/.test(f)) {
            fs.rmSync(path.join(OUT, f));
        }
    }

    const server = await startServer({now: () => NOW});
    let browser;
    try {
        const launchStart = Date.now();
        try {
            browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage']});
        } catch (err) {
            throw new HarnessError(`could not start ${CHROMIUM}: ${err.message.split('\n')[0]}`);
        }
        timings.launch = Date.now() - launchStart;
        timings.browserVersion = browser.version();
        console.log(`browser test: Chromium ${browser.version()}, server ${server.url}, clock ${new Date(NOW).toISOString()}\n`);

        await lightPage(browser, server);
        await darkPage(browser, server);
        for (const [id, title, fn] of requestChecks(server)) {
            await check(id, title, fn);
        }
    } finally {
        await browser?.close();
        await server.close();
    }

    const summary = writeSummary(server, Date.now() - started);
    console.log(`\n${summary}`);
    const failed = results.filter((r) => r.status === 'FAIL');
    if (failed.length > 0) {
        console.log(`browser test FAILED: ${failed.length} check(s): ${failed.map((r) => r.id).join(', ')}`);
        return 1;
    }
    console.log('browser test passed');
    return 0;
}

main().then((code) => {
    process.exitCode = code;
}, (err) => {
    if (err instanceof HarnessError) {
        console.error(`browser test could not run: ${err.message}`);
    } else {
        console.error('browser test crashed (a bug in the harness):', err);
    }
    process.exitCode = 2;
});
