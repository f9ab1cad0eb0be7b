import './strings.js';
import { ApiError, createApi } from '../api.js';
import { createResolveDialog, reasonOf } from '../dialogs.js';
import { el, setText } from '../dom.js';
import { getLang, initLang, onLangChange, setLang, t, translateStatic } from '../i18n.js';
import { createSignInForm, signInRefusal } from '../signInForm.js';
import { connectEvents } from '../sse.js';
import { formatTime, initTimeZone } from '../time.js';
import {
  alertBlock,
  announcementLine,
  callButton,
  quarantineLine,
  renderHouseholds,
  sealChips,
} from './householdCards.js';
import { createAnnounceDialog, createQrDialog } from './householdDialogs.js';
import { renderTimeline } from './timeline.js';

/**
 * The grid worker's phone view at /m (issue 18.3): "my households" with their seals, alerts,
 * quarantine and a call button; one household's timeline with announce and QR code. A person signs
 * in with the people's sign-in form (signInForm.js, the administrator's screens' too); the list
 * follows the live event stream.
 */

const $ = (id) => document.getElementById(id);
const POLL_MS = 30_000;

initLang();
initTimeZone();

let csrfToken = null;
const api = createApi(
  () => null,
  () => csrfToken,
);
// The people's sign-in form, shared with the administrator's screens.
const signInForm = createSignInForm({ api, onSignedIn: (me) => void start(me) });
signInForm.element.classList.add('card');
$('signin').append(signInForm.element);
let statuses = [];
/** The household whose timeline is shown, or null on the list. */
let shown = null;
let events = null;
let refreshTimer = null;
let message = null;

function relabel() {
  translateStatic();
  document.title = t('worker.title');
  for (const button of document.querySelectorAll('.lang-btn'))
    button.setAttribute('aria-pressed', String(button.dataset.lang === getLang()));
  signInForm.relabel();
  render();
}

function showSignIn(problem = null) {
  events?.stop();
  events = null;
  csrfToken = null;
  $('main').hidden = true;
  $('signin').hidden = false;
  setText($('scope-name'), '');
  signInForm.reset(problem);
}

function unauthorized(err) {
  if (err instanceof ApiError && err.status === 401) {
    showSignIn({ key: 'login.expired' });
    return true;
  }
  return false;
}

function banner(text) {
  const node = $('banner');
  node.hidden = !text;
  setText(node, text ?? '');
}

/** Reads "my households" again; the list and the open household follow. */
async function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), POLL_MS);
  try {
    const answer = await api.householdStatus();
    statuses = answer.items;
    $('households').dataset.total = String(answer.total);
    banner(message);
    setText($('updated'), t('worker.updated', { time: formatTime(Date.now()) }));
  } catch (err) {
    if (unauthorized(err)) return;
    banner(t('worker.loadFailed', { reason: reasonOf(err) }));
  }
  render();
  if (shown) await loadTimeline();
}

/** Many events at once (a storm of heartbeats) make one read, not many. */
let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    void refresh();
  }, 400);
}

const alertHandlers = {
  onAck: (alert, button) => {
    void (async () => {
      button.disabled = true;
      button.textContent = t('alerts.acking');
      try {
        await api.ack(alert.id);
      } catch (err) {
        if (unauthorized(err)) return;
        banner(t('alerts.ackFailed', { reason: reasonOf(err) }));
      }
      await refresh();
    })();
  },
  onResolve: (alert) => {
    const status = statuses.find((s) => s.household.id === alert.householdId);
    resolveDialog.open(alert, { address: status?.household.address ?? alert.address ?? '' });
  },
  onDetails: (status) => openHousehold(status.household.id),
};

const resolveDialog = createResolveDialog({
  submit: async (alert, outcome, note) => {
    await api.resolve(alert.id, outcome, note);
    await refresh();
  },
});
const announceDialog = createAnnounceDialog(api, {
  done: (_announcement, text) => {
    message = text;
    banner(text);
    void refresh();
  },
});
const qrDialog = createQrDialog(api);

function render() {
  if ($('main').hidden) return;
  const open = statuses.reduce((n, s) => n + s.alerts.filter((a) => a.status === 'open').length, 0);
  const total = Number($('households').dataset.total ?? statuses.length);
  setText($('summary'), open > 0 ? t('worker.summary', { total, open }) : t('worker.summaryCalm', { total }));
  $('summary').classList.toggle('is-alarm', open > 0);
  renderHouseholds($('households'), statuses, alertHandlers);
  $('households-empty').hidden = statuses.length > 0;
  if (shown) renderHouseholdHead();
}

function current() {
  return statuses.find((s) => s.household.id === shown) ?? null;
}

function renderHouseholdHead() {
  const status = current();
  if (!status) return;
  const { household } = status;
  setText($('household-title'), household.address ?? household.id);
  $('household-state').replaceChildren(
    ...status.alerts.map((a) => alertBlock(a, alertHandlers)),
    ...status.seals.map((seal) => sealChips(seal, status.announcement !== null)),
    announcementLine(status.announcement) ?? '',
    el('p', { class: 'quarantine', text: quarantineLine(status.quarantine) }),
    callButton(household.contact),
  );
}

async function loadTimeline() {
  const id = shown;
  if (!id) return;
  const list = $('timeline');
  if (list.childElementCount === 0) setText($('timeline-status'), t('worker.timelineLoading'));
  try {
    const answer = await api.timeline(id);
    if (shown !== id) return;
    renderTimeline(list, answer.items);
    setText($('timeline-status'), answer.items.length === 0 ? t('worker.timelineNone') : '');
  } catch (err) {
    if (unauthorized(err)) return;
    setText($('timeline-status'), t('worker.timelineFailed', { reason: reasonOf(err) }));
  }
}

/** The views follow the URL's hash (#h=<id>), so the phone's back button goes back to the list. */
function openHousehold(id) {
  location.hash = `h=${encodeURIComponent(id)}`;
}

function route() {
  const match = /^#h=(.+)$/.exec(location.hash);
  const id = match ? decodeURIComponent(match[1]) : null;
  const changed = id !== shown;
  shown = id && statuses.some((s) => s.household.id === id) ? id : null;
  $('list-view').hidden = shown !== null;
  $('household-view').hidden = shown === null;
  if (shown === null) {
    if (changed && id === null) $('alerts-title').focus({ preventScroll: true });
    return;
  }
  if (changed) {
    $('timeline').replaceChildren();
    message = null;
    banner(null);
    window.scrollTo(0, 0);
    renderHouseholdHead();
    $('household-title').focus({ preventScroll: true });
    void loadTimeline();
  }
}

async function start(me) {
  if (me.role !== 'worker') {
    // Monitors and admins have the live page; the list would still be right, only scoped wider.
    console.info(t('worker.notWorker', { role: me.role }));
  }
  csrfToken = me.csrfToken;
  $('signin').hidden = true;
  $('main').hidden = false;
  setText($('scope-name'), me.gridName ?? '');
  await refresh();
  route();
  events?.stop();
  events = connectEvents({
    url: '/api/events',
    getToken: () => null,
    onEvent: (event) => {
      // 'announcement': a resident announced through the QR code (the timeline shows it).
      if (['alert', 'seal', 'announcement', 'reset'].includes(event.event)) refreshSoon();
    },
    onStatus: (state) => {
      if (state === 'unauthorized') showSignIn({ key: 'login.expired' });
      // Back after a gap: what happened meanwhile is read again.
      if (state === 'live') refreshSoon();
    },
  });
  return null;
}

window.addEventListener('hashchange', route);
$('back').addEventListener('click', () => {
  if (history.length > 1 && location.hash) history.back();
  else location.hash = '';
});
$('announce-open').addEventListener('click', () => {
  const status = current();
  if (status) announceDialog.open(status.household);
});
$('qr-open').addEventListener('click', () => {
  const status = current();
  if (status) qrDialog.open(status.household);
});
$('sign-out').addEventListener('click', () => {
  void (async () => {
    events?.stop();
    await api.signOut().catch(() => {});
    csrfToken = null;
    // A fresh page holds nothing of this person's households.
    location.replace(location.pathname);
  })();
});
// A phone back from the pocket shows what is true now, not what was true when it was put away.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && csrfToken) void refresh();
});
for (const button of document.querySelectorAll('.lang-btn'))
  button.addEventListener('click', () => setLang(button.dataset.lang));
onLangChange(relabel);
relabel();

void (async () => {
  // Signed in before (the cookie): GET /api/me says who, with the CSRF token; 401: nobody yet.
  let me = null;
  try {
    me = await api.me();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) return showSignIn(signInRefusal(err));
  }
  if (me?.kind === 'user') await start(me);
  else showSignIn();
})();
