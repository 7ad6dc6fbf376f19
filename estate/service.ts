/**
 * The estate service: a read-only page for control rooms, served on loopback, showing the whole
 * estate from the estate database: the mobilisation (armed now, and qualified and available, per
 * site and type with the estate's totals), items out now per site and type, who holds what
 * anywhere, each terminal's link, and the open estate exceptions.
 *
 * The same rules as the terminal's browser shell: it prints a sign-in link that works once;
 * the browser that opens it gets an HttpOnly, SameSite=Strict session cookie, and every page
 * refuses a request without it. A Host header other than the service's own is refused (DNS
 * rebinding). Only GET and HEAD are served. The CSP lets the page load nothing but its own
 * stylesheet. The database connection reads as `estate_reader`, never as the administrator.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { EstateMobilisation, type EstateMobilisationCounts } from './mobilisation.ts';

export const ESTATE_PAGE_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const COOKIE = 'armoury_estate_session';
/** The page's tables are fetched again this often (the control room can pause it: no timed reload, WCAG 2.2.1). */
const REFRESH_SECONDS = 10;

/** The page's one script: fetch the tables again every REFRESH_SECONDS unless paused. */
const SCRIPT = `
const main = document.querySelector('main');
const updated = document.getElementById('updated');
const pause = document.getElementById('pause');
let paused = false;
pause.addEventListener('click', () => {
  paused = !paused;
  pause.textContent = paused ? 'Resume updates' : 'Pause updates';
  pause.setAttribute('aria-pressed', String(paused));
});
setInterval(async () => {
  if (paused) return;
  const at = new Date().toLocaleTimeString('en-GB');
  try {
    const reply = await fetch('/picture', { credentials: 'same-origin', cache: 'no-store' });
    if (!reply.ok) throw new Error(String(reply.status));
    main.innerHTML = await reply.text();
    updated.textContent = 'Updated at ' + at + '.';
  } catch (error) {
    updated.textContent = 'The estate service did not answer at ' + at + ' (' + error.message + '); trying again.';
  }
}, ${REFRESH_SECONDS * 1000});
`;

export interface EstateService {
  origin: string;
  /** The one-use sign-in link: print it, never log it elsewhere. */
  launchUrl: string;
  close(): Promise<void>;
}

export interface EstateServiceOptions {
  /** A connection string for a role that may become estate_reader (the administrator's, locally). */
  databaseUrl: string;
  port?: number;
  estateName?: string;
  now?: () => Date;
}

const escapeHtml = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const STYLES = `
body { font-family: 'DejaVu Sans', system-ui, sans-serif; margin: 0; background: #fff; color: #111; font-size: 18px; }
header { background: #0b2545; color: #fff; padding: 16px 24px; }
h1 { margin: 0; font-size: 28px; }
main { padding: 16px 24px; }
h2 { font-size: 22px; margin-top: 28px; }
table { border-collapse: collapse; margin-top: 8px; min-width: 40%; }
th, td { border: 1px solid #555; padding: 8px 12px; text-align: left; }
th { background: #e8eef6; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.total th, tr.total td { font-weight: bold; background: #f3f3f3; }
.state { font-weight: bold; }
.refused { color: #8a0000; }
p.note { color: #333; }
button { font-size: 18px; min-height: 48px; min-width: 48px; padding: 8px 16px; border: 2px solid #fff; background: #13315c; color: #fff; border-radius: 6px; }
`;

interface Picture {
  mobilisation: EstateMobilisationCounts;
  outNow: { site_id: string; asset_type: string; items_out: string; officers: string }[];
  holdings: { site_id: string; terminal_id: string; serial: string | null; asset_type: string | null; collar_number: string | null; display_name: string | null; drawn_at: string; due_at: string | null; overdue: boolean }[];
  terminals: { id: string; site_id: string; refused_reason: string | null; events: string; last_received: string | null }[];
  exceptions: { kind: string; terminal_id: string | null; message: string; raised_at: string }[];
}

async function readPicture(pool: pg.Pool, mobilisation: EstateMobilisation, now: Date): Promise<Picture> {
  // One snapshot of the database for the whole page, on a connection of its own.
  const client = await pool.connect();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const counts = await mobilisation.counts(client, now);
    const outNow = (await client.query<Picture['outNow'][number]>('SELECT site_id, asset_type, items_out, officers FROM estate.out_now ORDER BY site_id = \'(estate)\', site_id, asset_type = \'(all)\', asset_type')).rows;
    const holdings = (await client.query<Picture['holdings'][number]>('SELECT site_id, terminal_id, serial, asset_type, collar_number, display_name, drawn_at, due_at, overdue FROM estate.holdings_now ORDER BY overdue DESC, site_id, asset_type, serial LIMIT 500')).rows;
    const terminals = (
      await client.query<Picture['terminals'][number]>(
        // The last event by its key, not a count over every event: the page answers as fast with a million events held.
        `SELECT t.id, t.site_id, t.refused_reason, coalesce(last.seq, 0) AS events, last.received_at::text AS last_received
           FROM estate.terminals t
           LEFT JOIN LATERAL (SELECT e.seq, e.received_at FROM estate.events e WHERE e.terminal_id = t.id ORDER BY e.seq DESC LIMIT 1) last ON true
          ORDER BY t.site_id, t.id`,
      )
    ).rows;
    const exceptions = (await client.query<Picture['exceptions'][number]>('SELECT kind, terminal_id, message, raised_at::text FROM estate.exceptions WHERE resolved_at IS NULL ORDER BY raised_at DESC, id DESC LIMIT 100')).rows;
    return { mobilisation: counts, outNow, holdings, terminals, exceptions };
  } finally {
    await client.query('COMMIT').catch(() => undefined);
    client.release();
  }
}

/** The tables: the page's main, and what the script fetches again. */
function renderTables(picture: Picture): string {
  const out = picture.outNow.map((r) => {
    const total = r.asset_type === '(all)';
    const site = r.site_id === '(estate)' ? 'Whole estate' : r.site_id;
    return `<tr${total ? ' class="total"' : ''}><th scope="row">${escapeHtml(site)}</th><td>${escapeHtml(total ? 'All types' : r.asset_type)}</td><td class="number">${escapeHtml(r.items_out)}</td><td class="number">${escapeHtml(r.officers)}</td></tr>`;
  });
  const holdings = picture.holdings.map((h) => `<tr><td>${escapeHtml(h.site_id)}</td><td>${escapeHtml(h.asset_type ?? 'not recorded')}</td><td>${escapeHtml(h.serial ?? 'not recorded')}</td><td>${escapeHtml(h.collar_number ?? 'not in the reference data')}${h.display_name ? ` ${escapeHtml(h.display_name)}` : ''}</td><td>${escapeHtml(h.terminal_id)}</td><td>${escapeHtml(h.drawn_at)}</td><td>${h.overdue ? `<strong>Overdue</strong> since ${escapeHtml(h.due_at)}` : escapeHtml(h.due_at ?? 'no due time')}</td></tr>`);
  const overdue = picture.holdings.filter((h) => h.overdue).length;
  const terminals = picture.terminals.map(
    (t) =>
      `<tr><th scope="row">${escapeHtml(t.id)}</th><td>${escapeHtml(t.site_id)}</td><td class="state${t.refused_reason ? ' refused' : ''}">${t.refused_reason ? `Refused: ${escapeHtml(t.refused_reason)}` : 'Accepted'}</td><td class="number">${escapeHtml(t.events)}</td><td>${escapeHtml(t.last_received ?? 'never')}</td></tr>`,
  );
  const exceptions = picture.exceptions.map((e) => `<tr><td>${escapeHtml(e.kind)}</td><td>${escapeHtml(e.terminal_id ?? '')}</td><td>${escapeHtml(e.message)}</td><td>${escapeHtml(e.raised_at)}</td></tr>`);
  const table = (caption: string, head: string[], rows: string[], empty: string) =>
    rows.length === 0
      ? `<p class="note">${escapeHtml(empty)}</p>`
      : `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const { mobilisation } = picture;
  const typeNames = mobilisation.types.map((t) => t.assetTypeName);
  const mobilisationRows = mobilisation.sites.map(
    (site) =>
      `<tr><th scope="row">${escapeHtml(site.siteName)}</th>${site.byType.map((c) => `<td class="number">${c.armed}</td><td class="number">${c.available}</td>`).join('')}<td class="number">${site.armed}</td><td class="number">${site.available}</td></tr>`,
  );
  mobilisationRows.push(
    `<tr class="total"><th scope="row">Whole estate</th>${mobilisation.types.map((t) => `<td class="number">${t.armed}</td><td class="number">${t.available}</td>`).join('')}<td class="number">${mobilisation.totals.armed}</td><td class="number">${mobilisation.totals.available}</td></tr>`,
  );
  const problems = mobilisation.types.flatMap((t) => (t.problem === null ? [] : [`<p class="note"><strong>Not counted:</strong> ${escapeHtml(t.problem)}.</p>`]));
  const mobilisationHead = `<thead><tr><th scope="col" rowspan="2">Site</th>${typeNames.map((n) => `<th scope="colgroup" colspan="2">${escapeHtml(n)}</th>`).join('')}<th scope="colgroup" colspan="2">All firearm and Taser types</th></tr><tr>${[...typeNames, 'all']
    .map(() => '<th scope="col">Armed now</th><th scope="col">Qualified and available</th>')
    .join('')}</tr></thead>`;
  return `<h2 id="mobilisation">Mobilisation</h2>
<p>Armed now counts officers where they drew; qualified and available counts officers at their home site who hold none of the type and whom its release rule would arm today. An officer is counted once in the last two columns, as armed if armed with any type.</p>
${problems.join('')}
${typeNames.length === 0 ? '<p class="note">The estate\'s reference data has no firearm or Taser type.</p>' : `<table><caption>Mobilisation per site and type, with the estate's totals</caption>${mobilisationHead}<tbody>${mobilisationRows.join('')}</tbody></table>`}
<h2 id="out">Items out now</h2>
${table('Items out now, per site and type, with totals', ['Site', 'Type', 'Items out', 'Officers holding'], out, 'No item is out anywhere.')}
<h2 id="holdings">Who holds what</h2>
<p>${overdue === 0 ? 'Nothing is overdue anywhere.' : `<strong>${overdue} item${overdue === 1 ? ' is' : 's are'} overdue</strong>, listed first.`}</p>
${table('Every item out now, overdue first', ['Site', 'Type', 'Serial', 'Officer', 'Terminal', 'Drawn at', 'Due back'], holdings, 'Nobody holds anything.')}
<h2 id="terminals">Terminals</h2>
${table('Every terminal and its link', ['Terminal', 'Site', 'Estate', 'Events held', 'Last event received'], terminals, 'No terminal is registered.')}
<h2 id="exceptions">Open estate exceptions</h2>
${table('Open estate exceptions, newest first', ['Kind', 'Terminal', 'What happened', 'Raised'], exceptions, 'None open.')}`;
}

function renderPage(picture: Picture, estateName: string, at: Date): string {
  return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>${escapeHtml(estateName)}: estate picture</title>
<link rel="stylesheet" href="/estate.css">
<script src="/estate.js" defer></script>
</head>
<body>
<header><h1>${escapeHtml(estateName)}: estate picture</h1>
<p>Read only. The tables are fetched again every ${REFRESH_SECONDS} seconds. <span id="updated">As the estate database held it at ${escapeHtml(at.toISOString())}.</span></p>
<button type="button" id="pause" aria-pressed="false">Pause updates</button></header>
<main>
${renderTables(picture)}
</main>
</body>
</html>`;
}

export async function startEstateService(options: EstateServiceOptions): Promise<EstateService> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, application_name: 'armoury-estate-service', max: 4, connectionTimeoutMillis: 5000 });
  // Every connection reads as estate_reader, whoever logged in.
  pool.on('connect', (client) => void client.query('SET ROLE estate_reader'));
  pool.on('error', () => undefined);
  // Fails now, not at the first page, if the database or the role is not there.
  const probe = await pool.connect();
  await probe.query('SET ROLE estate_reader');
  probe.release();
  const nonce = randomBytes(24).toString('base64url');
  let nonceUsed = false;
  const sessions = new Set<string>();
  const now = options.now ?? (() => new Date());
  const mobilisation = new EstateMobilisation();
  const estateName = options.estateName ?? 'Armoury estate';
  let host = '';

  const send = (res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': type,
      'content-security-policy': ESTATE_PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      ...extra,
    });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    if (req.headers.host !== host) return send(res, 421, 'text/plain; charset=utf-8', 'This service answers only at its own address.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Read only.', { allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname === '/launch') {
      const given = url.searchParams.get('nonce') ?? '';
      if (nonceUsed || !sameSecret(given, nonce)) return send(res, 403, 'text/plain; charset=utf-8', 'This sign-in link has been used or is wrong. Restart the estate service for a new one.');
      nonceUsed = true;
      const session = randomBytes(32).toString('base64url');
      sessions.add(session);
      return send(res, 303, 'text/plain; charset=utf-8', 'Signed in.', { location: '/', 'set-cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/` });
    }
    const cookie = (req.headers.cookie ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`))?.slice(COOKIE.length + 1);
    if (cookie === undefined || ![...sessions].some((s) => sameSecret(s, cookie))) return send(res, 403, 'text/plain; charset=utf-8', 'Open the sign-in link the estate service printed.');
    if (url.pathname === '/estate.css') return send(res, 200, 'text/css; charset=utf-8', STYLES);
    if (url.pathname === '/estate.js') return send(res, 200, 'text/javascript; charset=utf-8', SCRIPT);
    if (url.pathname !== '/' && url.pathname !== '/picture') return send(res, 404, 'text/plain; charset=utf-8', 'Not here.');
    const at = now();
    readPicture(pool, mobilisation, at).then(
      (picture) => send(res, 200, 'text/html; charset=utf-8', url.pathname === '/picture' ? renderTables(picture) : renderPage(picture, estateName, at)),
      (error: unknown) => send(res, 503, 'text/plain; charset=utf-8', `The estate database did not answer: ${error instanceof Error ? error.message : String(error)}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  const origin = `http://${host}`;
  return {
    origin,
    launchUrl: `${origin}/launch?nonce=${nonce}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await pool.end().catch(() => undefined);
    },
  };
}
