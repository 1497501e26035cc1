// Browser-test server: the host page that stands in for the Mattermost webapp, the real
// plugin bundle (webapp/dist/main.js, served unmodified), the plugin's public/ files, and a
// fake of the plugin's REST API (docs/inbox-api.md) over the sample data in fixtures/.
//
// run.mjs starts it in-process. To look at the page yourself:
//
//     cd webapp && node browser-test/server.mjs      # PORT=8066 by default
//
// Node built-ins only. Every request is recorded (server.requests) so the test can check
// what the plugin asked for and with which headers.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WEBAPP = path.resolve(HERE, '..');
const REPO = path.resolve(WEBAPP, '..');

export const PATHS = {
    // BROWSER_TEST_BUNDLE: another build of the bundle, e.g. one taken out of a release tarball.
    pluginBundle: process.env.BROWSER_TEST_BUNDLE ? path.resolve(process.env.BROWSER_TEST_BUNDLE) : path.join(WEBAPP, 'dist', 'main.js'),
    hostBundleDir: path.join(HERE, 'dist'),
    hostCss: path.join(HERE, 'host.css'),
    publicDir: path.join(REPO, 'public'),
    pluginIcon: path.join(REPO, 'assets', 'icon.svg'),
    leads: path.join(HERE, 'fixtures', 'leads.json'),
    world: path.join(HERE, 'fixtures', 'world.json'),
    manifest: path.join(REPO, 'plugin.json'),
};

export const PLUGIN_ID = JSON.parse(fs.readFileSync(PATHS.manifest, 'utf8')).id;
export const PLUGIN_BUNDLE_URL = `/static/plugins/${PLUGIN_ID}/${PLUGIN_ID}_bundle.js`;
const API_PREFIX = `/plugins/${PLUGIN_ID}/api/v1`;
const PUBLIC_PREFIX = `/plugins/${PLUGIN_ID}/public/`;

// ---- relative times ------------------------------------------------------------------

const UNIT_MS = {d: 86400000, h: 3600000, m: 60000, s: 1000};
const RELATIVE = /^([+-])((?:\d+[dhms])+)$/;

// "+40m" → now + 40 minutes, "-23h20m" → now − 23 h 20 min, "now" → now. Other values
// are returned as they are.
export function relativeTime(value, now) {
    if (value === 'now') {
        return now;
    }
    const match = typeof value === 'string' ? RELATIVE.exec(value) : null;
    if (!match) {
        return value;
    }
    let ms = 0;
    for (const [, amount, unit] of match[2].matchAll(/(\d+)([dhms])/g)) {
        ms += Number(amount) * UNIT_MS[unit];
    }
    return match[1] === '+' ? now + ms : now - ms;
}

// A deep copy with every relative time resolved and the fixtures' "_comment" and
// "_scenario" notes left out.
export function resolveTimes(value, now) {
    if (Array.isArray(value)) {
        return value.map((v) => resolveTimes(v, now));
    }
    if (value && typeof value === 'object') {
        const out = {};
        for (const [k, v] of Object.entries(value)) {
            if (!k.startsWith('_')) {
                out[k] = resolveTimes(v, now);
            }
        }
        return out;
    }
    return relativeTime(value, now);
}

function readJSON(file) {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
}

// ---- the fake plugin API -------------------------------------------------------------

const ACTIONS = new Set(['claim', 'release', 'close', 'reopen', 'review', 'clear-review', 'transfer']);

class ApiAnswer {
    constructor(status, body, expected = false) {
        this.status = status;
        this.body = body;
        this.expected = expected; // an error status the contract defines for normal use
    }
}

const ok = (body) => new ApiAnswer(200, body);
const fail = (status, error, extra = {}, expected = false) => new ApiAnswer(status, {error, ...extra}, expected);

function fixtureState() {
    const leads = readJSON(PATHS.leads);
    const world = readJSON(PATHS.world);
    return {
        settings: leads.settings,
        leads: new Map(leads.leads.map((l) => [l.id, structuredClone(l)])),
        deliveries: new Map(world.deliveries.map((d) => [d.post_id, structuredClone(d)])),
        world,
    };
}

export async function startServer({port = 0, host = '127.0.0.1', now = () => Date.now(), log = () => {}} = {}) {
    let state = fixtureState();
    const csrfToken = crypto.randomBytes(16).toString('hex');
    const requests = [];

    const currentUser = () => state.world.users.find((u) => u.id === state.world.currentUserId);
    const userById = (id) => state.world.users.find((u) => u.id === id);
    const leadView = (lead) => resolveTimes(lead, now());

    function leadAction(lead, action, body) {
        const t = now();
        const me = currentUser();
        const h = lead.handoff;
        const conflict = (error) => fail(409, error, {lead: leadView(lead)}, true);
        switch (action) {
        case 'claim':
            if (h.state !== 'open') {
                return conflict(h.state === 'claimed' ? `@${h.owner_username} already claimed this lead.` : 'This lead is closed. Reopen it first.');
            }
            Object.assign(h, {state: 'claimed', owner_id: me.id, owner_username: me.username, claimed_at: t});
            break;
        case 'release':
            if (h.state !== 'claimed') {
                return conflict('Nobody owns this lead, so there is nothing to release.');
            }
            h.state = 'open';
            delete h.owner_id;
            delete h.owner_username;
            delete h.claimed_at;
            break;
        case 'close':
            if (h.state === 'closed') {
                return conflict('This lead is already closed.');
            }
            Object.assign(h, {state: 'closed', closed_at: t});
            break;
        case 'reopen':
            if (h.state !== 'closed') {
                return conflict('This lead is not closed.');
            }
            h.state = h.owner_id ? 'claimed' : 'open';
            delete h.closed_at;
            break;
        case 'review':
            if (h.under_review) {
                return conflict('This lead is already under policy review.');
            }
            Object.assign(h, {under_review: true, review_reason: body.reason || 'Marked for policy review.'});
            lead._sendBeforeReview = lead.send;
            lead.send = {mode: 'blocked', reason: 'This lead is under policy review. Replies wait until a reviewer clears it.'};
            break;
        case 'clear-review':
            if (!h.under_review) {
                return conflict('This lead is not under policy review.');
            }
            h.under_review = false;
            delete h.review_reason;
            lead.send = lead._sendBeforeReview || {mode: 'response', until: lead.window.standard_until};
            delete lead._sendBeforeReview;
            break;
        case 'transfer': {
            const to = body.to_user_id && userById(body.to_user_id);
            if (!body.to_user_id) {
                return fail(400, 'Say who should get the lead (to_user_id).');
            }
            if (!to || to.is_bot) {
                return fail(404, 'That user is not in the operator pool.');
            }
            Object.assign(h, {state: 'claimed', owner_id: to.id, owner_username: to.username, claimed_at: t});
            break;
        }
        }
        lead.updated_at = t;
        const messages = {
            claim: `You claimed ${lead.contact.name}'s lead. Answer in the lead channel.`,
            release: `You released ${lead.contact.name}'s lead; it is back in the queue.`,
            close: `${lead.contact.name}'s lead is closed.`,
            reopen: `${lead.contact.name}'s lead is open again.`,
            review: `${lead.contact.name}'s lead is under policy review; replies are held.`,
            'clear-review': `The policy review of ${lead.contact.name}'s lead is cleared.`,
            transfer: `${lead.contact.name}'s lead now belongs to @${h.owner_username}.`,
        };
        return ok({lead: leadView(lead), message: messages[action]});
    }

    // The plugin API behind Mattermost: only requests the server would authenticate get
    // through, i.e. from the webapp with X-Requested-With (Client4.getOptions), and for
    // anything but GET the CSRF token of the session cookie.
    function pluginApi(method, route, url, headers, body) {
        if (headers['x-requested-with'] !== 'XMLHttpRequest') {
            return fail(401, 'not authorized: the request lacks X-Requested-With: XMLHttpRequest, so Mattermost would not use the session cookie (send it with Client4.getOptions)');
        }
        if (method !== 'GET' && headers['x-csrf-token'] !== csrfToken) {
            return fail(401, 'not authorized: the X-CSRF-Token header is missing or wrong (send the request with Client4.getOptions)');
        }
        const t = now();
        let m;
        if (method === 'GET' && route === '/leads') {
            const open = [...state.leads.values()].filter((l) => l.handoff.state !== 'closed');
            return ok({leads: open.map(leadView), now: t, settings: state.settings});
        }
        if (method === 'GET' && (m = /^\/leads\/([^/]+)$/.exec(route))) {
            const lead = state.leads.get(decodeURIComponent(m[1]));
            return lead ? ok(leadView(lead)) : fail(404, 'That lead does not exist.');
        }
        if (method === 'GET' && (m = /^\/channels\/([^/]+)\/lead$/.exec(route))) {
            const channelId = decodeURIComponent(m[1]);
            const lead = [...state.leads.values()].find((l) => l.channel_id === channelId);
            return lead ? ok(leadView(lead)) : fail(404, 'not a lead channel', {}, true);
        }
        if (method === 'POST' && (m = /^\/leads\/([^/]+)\/actions\/([a-z-]+)$/.exec(route))) {
            const lead = state.leads.get(decodeURIComponent(m[1]));
            if (!lead) {
                return fail(404, 'That lead does not exist.');
            }
            if (!ACTIONS.has(m[2])) {
                return fail(400, `Unknown action "${m[2]}".`);
            }
            return leadAction(lead, m[2], body && typeof body === 'object' ? body : {});
        }
        if (method === 'GET' && route === '/deliveries') {
            const ids = url.searchParams.getAll('post_id');
            if (ids.length > 100) {
                return fail(400, 'Ask for at most 100 posts at a time.');
            }
            const deliveries = {};
            for (const id of ids) {
                if (state.deliveries.has(id)) {
                    deliveries[id] = resolveTimes(state.deliveries.get(id), t);
                }
            }
            return ok({deliveries});
        }
        if (method === 'POST' && (m = /^\/deliveries\/([^/]+)\/retry$/.exec(route))) {
            const d = state.deliveries.get(decodeURIComponent(m[1]));
            if (!d) {
                return fail(404, 'That post is not a reply in the outbox.');
            }
            if (d.state !== 'failed' || !d.retryable) {
                return fail(409, 'This reply cannot be sent again.', {}, true);
            }
            Object.assign(d, {state: 'pending', attempts: d.attempts + 1, next_at: t, updated_at: t});
            delete d.error;
            return ok({delivery: resolveTimes(d, t), message: 'Sending again.'});
        }
        if (method === 'GET' && route === '/autocomplete/operators') {
            return ok(state.world.users.filter((u) => !u.is_bot).map((u) => ({
                Item: `@${u.username}`,
                Hint: '',
                HelpText: `${u.first_name} ${u.last_name}`.trim(),
            })));
        }
        if (method === 'GET' && route === '/connection') {
            return ok({
                webhook_url: `http://${headers.host}/plugins/${PLUGIN_ID}/webhook/meta`,
                verify_token: 'browser-test-verify-token',
                site_url_set: true,
            });
        }
        if (method === 'POST' && route === '/connection/check') {
            return ok({
                ok: false,
                checked_at: t,
                checks: [
                    {id: 'site_url', label: 'Site URL', status: 'pass', detail: 'The Site URL is set.'},
                    {id: 'page_token', label: 'Page access token', status: 'pass', detail: 'The token belongs to the Page "Cedar & Steam Co."'},
                    {id: 'webhook', label: 'Webhook subscription', status: 'fail', detail: 'The Page is not subscribed to the messages field.', fix: 'In the Meta app, subscribe the Page to messages.'},
                    {id: 'instagram', label: 'Instagram account', status: 'warn', detail: 'No Instagram professional account is linked to the Page.'},
                ],
            });
        }
        return fail(404, `The fake plugin API has no route ${method} ${route} (docs/inbox-api.md lists the routes).`);
    }

    // The few Mattermost REST routes a plugin's mattermost-redux actions may call.
    function mattermostApi(method, route, body) {
        let m;
        const notFound = () => new ApiAnswer(404, {
            id: 'api.context.404.app_error',
            message: `The browser-test host has no Mattermost route ${method} /api/v4${route}.`,
            status_code: 404,
        });
        if (method === 'GET' && route === '/users/me') {
            return ok(currentUser());
        }
        if (method === 'POST' && route === '/users/ids') {
            return ok((Array.isArray(body) ? body : []).map(userById).filter(Boolean));
        }
        if (method === 'GET' && (m = /^\/users\/([a-z0-9]{26})$/.exec(route))) {
            return userById(m[1]) ? ok(userById(m[1])) : notFound();
        }
        if (method === 'GET' && (m = /^\/channels\/([a-z0-9]{26})$/.exec(route))) {
            const channel = state.world.channels.find((c) => c.id === m[1]);
            return channel ? ok({...channel, team_id: state.world.currentTeamId}) : notFound();
        }
        return notFound();
    }

    function hostPage(headers) {
        const t = now();
        // The outbox is the plugin API's data, not the page's.
        const world = Object.fromEntries(Object.entries(state.world).filter(([k]) => k !== 'deliveries'));
        const config = {
            pluginId: PLUGIN_ID,
            pluginBundleUrl: PLUGIN_BUNDLE_URL,
            siteURL: `http://${headers.host}`,
            serverNow: t,
            world: resolveTimes(world, t),
        };

        // JSON inside <script>: escape "<" so no string can close the element.
        const json = JSON.stringify(config).replace(/</g, '\\u003c');
        return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Social Inbox: browser-test host</title>
<link rel="icon" href="/static/favicon.svg">
<link rel="stylesheet" href="/static/host.css">
</head>
<body>
<div id="root"></div>
<script>window.__HOST_CONFIG__ = ${json};</script>
<script src="/static/host.js"></script>
</body>
</html>
`;
    }

    function sendFile(res, file, type) {
        let data;
        try {
            data = fs.readFileSync(file);
        } catch {
            return false;
        }
        res.writeHead(200, {'Content-Type': type, 'Cache-Control': 'no-store'});
        res.end(data);
        return true;
    }

    const TYPES = {'.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json'};
    const typeOf = (file) => TYPES[path.extname(file)] || 'application/octet-stream';

    async function readBody(req) {
        const chunks = [];
        let size = 0;
        for await (const chunk of req) {
            size += chunk.length;
            if (size > 1 << 20) {
                throw new Error('body too large');
            }
            chunks.push(chunk);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        if (!text) {
            return undefined;
        }
        try {
            return JSON.parse(text);
        } catch {
            return text;
        }
    }

    async function handle(req, res) {
        const url = new URL(req.url, `http://${req.headers.host || 'localhost'}`);
        const p = url.pathname;
        const record = {
            at: now(),
            method: req.method,
            path: p,
            query: url.search,
            url: url.href,
            headers: {
                'x-requested-with': req.headers['x-requested-with'],
                'x-csrf-token': req.headers['x-csrf-token'],
                'content-type': req.headers['content-type'],
            },
            body: undefined,
            status: 0,
            expected: false,
            kind: 'static',
        };
        requests.push(record);
        const json = (answer) => {
            record.status = answer.status;
            record.expected = answer.expected;
            record.response = answer.body;
            res.writeHead(answer.status, {'Content-Type': 'application/json', 'Cache-Control': 'no-store'});
            res.end(JSON.stringify(answer.body));
        };

        if (p.startsWith(`${API_PREFIX}/`) || p === API_PREFIX) {
            record.kind = 'plugin-api';
            record.body = await readBody(req);
            json(pluginApi(req.method, p.slice(API_PREFIX.length) || '/', url, req.headers, record.body));
            return;
        }
        if (p.startsWith('/api/v4/')) {
            record.kind = 'mattermost-api';
            record.body = await readBody(req);
            json(mattermostApi(req.method, p.slice('/api/v4'.length), record.body));
            return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
            record.status = 405;
            res.writeHead(405).end();
            return;
        }

        let served = false;
        if (p === PLUGIN_BUNDLE_URL) {
            served = sendFile(res, PATHS.pluginBundle, TYPES['.js']);
            if (!served) {
                record.status = 500;
                res.writeHead(500, {'Content-Type': 'text/plain'}).end(`${PATHS.pluginBundle} is missing: run \`make webapp\` (or \`npm run build\` in webapp/).`);
                return;
            }
        } else if (p === '/static/host.js' || p === '/static/host.js.map') {
            served = sendFile(res, path.join(PATHS.hostBundleDir, path.basename(p)), typeOf(p));
        } else if (p === '/static/host.css') {
            served = sendFile(res, PATHS.hostCss, TYPES['.css']);
        } else if (p === '/static/favicon.svg') {
            served = sendFile(res, PATHS.pluginIcon, TYPES['.svg']);
        } else if (p.startsWith(PUBLIC_PREFIX)) {
            // Mattermost serves a plugin's public/ directory here.
            const file = path.resolve(PATHS.publicDir, decodeURIComponent(p.slice(PUBLIC_PREFIX.length)));
            if (file.startsWith(PATHS.publicDir + path.sep)) {
                served = sendFile(res, file, typeOf(file));
            }
        } else if (!p.startsWith('/static/') && !p.startsWith('/plugins/') && path.extname(p) === '') {
            // Like Mattermost, every app URL (/, /sales/channels/<name>, …) serves the app.
            record.kind = 'page';
            res.writeHead(200, {
                'Content-Type': 'text/html; charset=utf-8',
                'Cache-Control': 'no-store',
                'Set-Cookie': [`MMCSRF=${csrfToken}; Path=/; SameSite=Lax`, `MMUSERID=${state.world.currentUserId}; Path=/; SameSite=Lax`],
            });
            res.end(hostPage(req.headers));
            served = true;
        }
        record.status = served ? 200 : 404;
        if (!served) {
            res.writeHead(404, {'Content-Type': 'text/plain'}).end('not found');
        }
        log(`${req.method} ${p}${url.search} -> ${record.status}`);
    }

    const server = http.createServer((req, res) => {
        handle(req, res).catch((err) => {
            if (!res.headersSent) {
                res.writeHead(500, {'Content-Type': 'text/plain'});
            }
            res.end(String(err && err.stack ? err.stack : err));
        });
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, resolve);
    });
    const address = server.address();

    return {
        url: `http://${host}:${address.port}`,
        port: address.port,
        csrfToken,
        requests,
        get world() {
            return state.world;
        },
        lead(id) {
            return state.leads.get(id) && leadView(state.leads.get(id));
        },

        // Changes a lead as the real server would before publishing lead_updated.
        updateLead(id, change) {
            const lead = state.leads.get(id);
            change(lead, now());
            lead.updated_at = now();
            return leadView(lead);
        },
        updateDelivery(postId, change) {
            const d = state.deliveries.get(postId);
            change(d, now());
            d.updated_at = now();
            return resolveTimes(d, now());
        },

        // Back to the fixtures, for a fresh page.
        reset() {
            state = fixtureState();
        },
        close() {
            server.closeAllConnections?.();
            return new Promise((resolve) => server.close(() => resolve()));
        },
    };
}

// node browser-test/server.mjs: serve the host page for a person to look at.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
    const port = Number(process.env.PORT || 8066);
    const server = await startServer({port, log: (line) => console.log(line)});
    console.log(`browser-test host: ${server.url}/  (dark theme: ${server.url}/?theme=dark)`);
    if (!fs.existsSync(PATHS.pluginBundle)) {
        console.log(`warning: ${PATHS.pluginBundle} is missing; run \`npm run build\` in webapp/`);
    }
    if (!fs.existsSync(path.join(PATHS.hostBundleDir, 'host.js'))) {
        console.log('warning: the host bundle is missing; run `npx webpack --config browser-test/webpack.host.config.js` in webapp/');
    }
}
