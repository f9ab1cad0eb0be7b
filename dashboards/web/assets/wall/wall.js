/**
 * The command room's wall (/wall): township tiles, the alert that has waited longest for a person,
 * today's time to acknowledge. Read-only, for a big screen across a room; it signs in as the live
 * page does (the session cookie, or the token stored by the live page) and otherwise sends the
 * person to the live page's sign-in, which brings them back here (?next=).
 */
import { ApiError, createApi } from '../api.js';
import { reasonOf } from '../dialogs.js';
import { setText } from '../dom.js';
import { getLang, initLang, onLangChange, setLang, t, translateStatic } from '../i18n.js';
import { connectEvents } from '../sse.js';
import { STRINGS } from '../strings.js';
import { formatTime, initTimeZone } from '../time.js';
import { tickWaits } from './duration.js';
import { renderTiles, renderTimeToAck, renderWaiting } from './render.js';
import { WALL_STRINGS } from './wallStrings.js';

for (const lang of Object.keys(WALL_STRINGS)) Object.assign(STRINGS[lang], WALL_STRINGS[lang]);

const TOKEN_KEY = 'sealwatch.token';
/** At most one read of /api/wall a second, however many events arrive. */
const MIN_GAP_MS = 1_000;
/** Silence changes the wall too (a seal goes offline without an event): read it on a clock as well. */
const POLL_MS = 30_000;
const RETRY_MS = 5_000;
/** Past this without a successful read the wall says its figures may be stale. */
const STALE_MS = 90_000;
const $ = (id) => document.getElementById(id);

initLang();
initTimeZone();

let token = null;
try {
  token = localStorage.getItem(TOKEN_KEY);
} catch {
  // Storage disabled: the session cookie alone signs the wall in.
}
const api = createApi(() => token);
const gridId = new URLSearchParams(location.search).get('gridId');

let wall = null;
let lastReadAt = null;
/** Why the last read failed (null: it did not). */
let readProblem = null;
let conn = { state: 'idle', since: Date.now() };
let inFlight = false;
let again = false;
let timer = null;
let stream = null;

/** Not signed in: the live page's sign-in form, which sends the person back here afterwards. */
function toSignIn() {
  stream?.stop();
  const here = location.pathname + location.search;
  location.replace(`/?next=${encodeURIComponent(here)}`);
}

async function read() {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  clearTimeout(timer);
  try {
    wall = await api.wall(gridId);
    lastReadAt = Date.now();
    readProblem = null;
    render();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return toSignIn();
    readProblem = err;
    renderStatus();
    timer = setTimeout(() => void read(), RETRY_MS);
    return;
  } finally {
    inFlight = false;
  }
  const wait = again ? MIN_GAP_MS : POLL_MS;
  again = false;
  timer = setTimeout(() => void read(), wait);
}

/** After a live event: soon, but not more than once a second. */
function readSoon() {
  if (inFlight) {
    again = true;
    return;
  }
  const due = (lastReadAt ?? 0) + MIN_GAP_MS - Date.now();
  clearTimeout(timer);
  timer = setTimeout(() => void read(), Math.max(0, due));
}

function render() {
  if (!wall) return;
  // The clock shows the service's local time (TZ_LOCAL), the zone its "today" is counted in,
  // unless the URL asks for another (?tz=).
  if (!new URLSearchParams(location.search).has('tz'))
    initTimeZone(`?tz=${encodeURIComponent(wall.timeZone)}`);
  $('wall-main').removeAttribute('aria-busy');
  setText($('wall-scope'), wall.rootName ?? t('wall.allGrid'));
  document.title = `${wall.rootName ?? t('wall.allGrid')} · ${t('wall.pageTitle')}`;
  renderWaiting(wall);
  renderTimeToAck(wall);
  renderTiles(wall);
  renderStatus();
}

/** One message at a time, the most useful first: since when the figures are old, else why a read failed. */
function renderBanner(now, connection) {
  const stale = lastReadAt !== null && (now - lastReadAt > STALE_MS || connection === 'down');
  const text = stale
    ? t('wall.stale', { time: formatTime(lastReadAt) })
    : readProblem
      ? t('wall.loadFailed', { reason: reasonOf(readProblem) })
      : null;
  const banner = $('wall-banner');
  // Set only on change: the banner is an alert region, and a repeated text would be read again.
  if (text !== null && banner.textContent !== text) banner.textContent = text;
  banner.hidden = text === null;
}

/** The clock, the connection, and whether the figures are fresh: a frozen wall must say so. */
function renderStatus() {
  const now = Date.now();
  setText($('wall-clock'), formatTime(now));
  const shown = conn.state === 'reconnecting' && now - conn.since > 15_000 ? 'down' : conn.state;
  $('conn').dataset.state = shown;
  setText($('conn-text'), t(`conn.${shown}`));
  setText(
    $('conn-time'),
    shown === 'live' && lastReadAt
      ? t('conn.updated', { time: formatTime(lastReadAt) })
      : shown === 'down' || shown === 'reconnecting'
        ? t('conn.since', { time: formatTime(conn.since) })
        : '',
  );
  renderBanner(now, shown);
  tickWaits(document, now);
}

function markLanguage() {
  for (const button of document.querySelectorAll('.lang-btn')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === getLang()));
  }
}

for (const button of document.querySelectorAll('.lang-btn')) {
  button.addEventListener('click', () => setLang(button.dataset.lang));
}
onLangChange(() => {
  translateStatic();
  markLanguage();
  render();
});
translateStatic();
document.title = t('wall.pageTitle');
markLanguage();

async function start() {
  try {
    // Who is here: a stored token, or the session cookie (GET /api/me answers 401 without either).
    if (!token) await api.me();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return toSignIn();
  }
  await read();
  stream = connectEvents({
    url: gridId ? `/api/events?gridId=${encodeURIComponent(gridId)}` : '/api/events',
    getToken: () => token,
    onEvent: (event) => {
      if (event.event === 'seal' || event.event === 'alert' || event.event === 'reset') readSoon();
    },
    onStatus: (state) => {
      if (state === 'unauthorized') return toSignIn();
      if (state !== conn.state) conn = { state, since: Date.now() };
      // A (re)connection may have missed events: read the whole wall again.
      if (state === 'live') readSoon();
      renderStatus();
    },
  });
  setInterval(renderStatus, 1_000);
}

void start();
