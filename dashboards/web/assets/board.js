/**
 * The board: the alert queue, the grid tree and the seal list of the live page, and the one event stream that
 * updates them. Over 400 lines: the three views share the same selection and counts; their rendering lives in
 * alerts.js, tree.js and seals.js.
 */
import { createAlertDialog } from './alertDialog.js';
import { createAlertSearch } from './alertSearch.js';
import { AlertQueue } from './alerts.js';
import { ApiError } from './api.js';
import { createHistoryDialog, createResolveDialog, reasonOf } from './dialogs.js';
import { setText } from './dom.js';
import { createDutyLine } from './duty.js';
import { buildGrid } from './grid.js';
import { t } from './i18n.js';
import { renderKpis } from './kpis.js';
import { renderSealRows } from './seals.js';
import { connectEvents } from './sse.js';
import { formatTime, tickAges } from './time.js';
import { renderTree } from './tree.js';

const $ = (id) => document.getElementById(id);
const SELECTED_KEY = 'sealwatch.selected';
const OVERVIEW_MIN_GAP_MS = 1_000;
// Silence makes a seal offline without any event: re-read counts and rows on a clock too.
const REFRESH_MS = 30_000;
const ALERTS_RETRY_MS = 10_000;
const ALERTS_PROBE_MS = 60_000;
const CHANGED_HIGHLIGHT_MS = 4_000;
const RENDER_COALESCE_MS = 100;

/**
 * Everything on the signed-in page: overview counts, grid tree, drill-down,
 * alert queue and the live stream that keeps them current.
 */
export function createBoard({ api, getToken, onUnauthorized }) {
  let grid = buildGrid(null);
  const expanded = new Set();
  let expandedDefaults = false;
  let selectedId = readSelected();
  const seals = new Map();
  let sealsTotal = 0;
  let sealsState = 'idle';
  let sealsError = '';
  let sealsTicket = 0;
  const changed = new Set();
  const sealInfo = new Map();
  const workerNames = new Map();
  const lookups = new Set();
  let alertsState = 'unknown';
  // The latest alert list load, and the alert events that arrived while it was in flight: the list
  // may predate them, so they are applied again over it. An older load's answer is dropped.
  let alertsTicket = 0;
  let alertsInFlight = null;
  let stream = null;
  let stopped = false;
  const timers = new Set();
  let overviewTimer = null;
  let overviewInFlight = false;
  let overviewAgain = false;
  let lastOverviewAt = 0;
  let alertsTimer = null;
  let conn = { state: 'idle', since: Date.now(), lastActivity: null };

  const later = (fn, ms) => {
    const id = setTimeout(() => {
      timers.delete(id);
      fn();
    }, ms);
    timers.add(id);
    return id;
  };
  const every = (fn, ms) => {
    const id = setInterval(fn, ms);
    timers.add(id);
  };

  /** Many events in a burst (an outage takes hundreds of seals offline at once) → one render. */
  const coalesce = (fn) => {
    let pending = null;
    return () => {
      if (pending !== null) return;
      pending = later(() => {
        pending = null;
        fn();
      }, RENDER_COALESCE_MS);
    };
  };

  const failed = (err) => {
    if (err instanceof ApiError && err.status === 401) {
      stop();
      onUnauthorized();
      return true;
    }
    return false;
  };
  const duty = createDutyLine({ api, element: $('duty-line'), failed });

  // ── alerts ────────────────────────────────────────────────────────────
  const describe = (alert) => {
    const info = alert.sensorId ? sealInfo.get(alert.sensorId) : undefined;
    if (!alert.address && !info && alert.sensorId) lookupSeal(alert.sensorId);
    const address =
      alert.address ??
      info?.address ??
      (alert.type === 'outage'
        ? t('alerts.gridNode', { name: grid.name(alert.gridId) })
        : (alert.householdId ?? alert.sensorId ?? alert.gridId));
    const assignee = alert.assignee ? (workerNames.get(alert.assignee) ?? alert.assignee) : null;
    return { address: String(address), path: pathText(alert), assignee };
  };

  // Assignees are worker ids; show their names where the token may list workers (admin, monitor).
  async function loadWorkers() {
    try {
      const answer = await api.workers();
      for (const w of answer?.items ?? []) if (w?.id) workerNames.set(w.id, w.name ?? w.id);
      queue.render();
    } catch (err) {
      failed(err);
    }
  }

  const pathText = (alert) => {
    if (typeof alert.gridPath === 'string') return alert.gridPath;
    if (Array.isArray(alert.gridPath)) {
      return alert.gridPath
        .map((p) => (typeof p === 'string' ? grid.name(p) : (p?.name ?? p?.id)))
        .join(' › ');
    }
    const nodes = grid.path(alert.gridId);
    return nodes.length > 0 ? nodes.map((n) => n.name ?? n.id).join(' › ') : String(alert.gridId ?? '');
  };

  // An alert without an address: ask for its seal once, then show the household's address.
  const lookupSeal = (sensorId) => {
    if (lookups.has(sensorId)) return;
    lookups.add(sensorId);
    api
      .seal(sensorId)
      .then((seal) => {
        remember(seal);
        queue.render();
      })
      .catch(() => {
        // Out of scope or gone: the alert keeps showing the household id.
      });
  };

  const remember = (seal) => {
    if (seal?.sensorId) sealInfo.set(seal.sensorId, { address: seal.address, gridId: seal.gridId });
  };

  const history = createHistoryDialog(api, { onUnauthorized: () => failed(new ApiError(401, '', '')) });
  const resolver = createResolveDialog({
    submit: async (alert, outcome, note) => {
      try {
        const updated = await api.resolve(alert.id, outcome, note);
        queue.apply(updated?.id ? updated : { ...alert, status: 'resolved' });
        afterAlertChange();
        flash(t('alerts.resolved', { address: describe(alert).address }), 'info');
      } catch (err) {
        if (failed(err)) return;
        throw err;
      }
    },
  });

  // The command room's hands: one alert's dialog (reassign, note, silence) and the history search.
  const alertDialog = createAlertDialog({
    api,
    grid: () => grid,
    describe,
    onChanged: (alert) => {
      queue.apply(alert);
      afterAlertChange();
    },
    failed,
  });
  createAlertSearch({ api, describe, openAlert: (alert) => void alertDialog.open(alert), failed });

  const queue = new AlertQueue($('alert-list'), {
    describe,
    onAck: (alert) => void ack(alert),
    onResolve: (alert) => resolver.open(alert, describe(alert)),
    onDetail: (alert) => void alertDialog.open(alert),
  });

  async function ack(alert) {
    queue.setPending(alert.id, true);
    try {
      const updated = await api.ack(alert.id);
      queue.setPending(alert.id, false);
      queue.apply(updated?.id ? updated : { ...alert, status: 'acknowledged' });
      afterAlertChange();
    } catch (err) {
      queue.setPending(alert.id, false);
      if (failed(err)) return;
      flash(t('alerts.ackFailed', { reason: reasonOf(err) }), 'error');
    }
  }

  async function loadAlerts() {
    clearTimeout(alertsTimer);
    const ticket = ++alertsTicket;
    const arrived = [];
    alertsInFlight = arrived;
    try {
      const [open, acknowledged] = await Promise.all([api.alerts('open'), api.alerts('acknowledged')]);
      if (ticket !== alertsTicket) return;
      alertsState = 'ready';
      queue.setAll([...open, ...acknowledged]);
      for (const alert of arrived) queue.apply(alert);
    } catch (err) {
      if (ticket !== alertsTicket || failed(err)) return;
      // 404: alerting is not wired on this server yet. Show an empty queue and look again now and then.
      alertsState = err instanceof ApiError && err.status === 404 ? 'missing' : 'error';
      if (alertsState === 'missing') queue.setAll([]);
      alertsTimer = later(
        () => void loadAlerts(),
        alertsState === 'missing' ? ALERTS_PROBE_MS : ALERTS_RETRY_MS,
      );
    } finally {
      if (alertsInFlight === arrived) alertsInFlight = null;
    }
    renderAlertMeta();
  }

  const afterAlertChange = () => {
    renderAlertMeta();
    scheduleOverview();
  };

  function renderAlertMeta() {
    const n = queue.size;
    $('alerts-count').textContent = alertsState === 'missing' ? '' : t('alerts.count', { n });
    $('alerts-empty').hidden = n > 0 || alertsState === 'missing';
    $('alerts-empty').textContent =
      alertsState === 'error' && n === 0 ? t('alerts.loadFailed') : t('alerts.empty');
    $('alerts-unavailable').hidden = alertsState !== 'missing';
    renderKpiStrip();
  }

  // ── overview and tree ─────────────────────────────────────────────────
  async function loadOverview() {
    overviewInFlight = true;
    lastOverviewAt = Date.now();
    try {
      const overview = await api.overview();
      grid = buildGrid(overview);
      if (!expandedDefaults) {
        for (const root of grid.roots) expanded.add(root.id);
        expandedDefaults = true;
      }
      if (selectedId && !grid.byId.has(selectedId)) select(null);
      activity();
      hideBanner('overview');
      renderOverview();
    } catch (err) {
      if (failed(err)) return;
      showBanner('overview', t('banner.overviewFailed', { reason: reasonOf(err) }));
    } finally {
      overviewInFlight = false;
      if (overviewAgain) {
        overviewAgain = false;
        scheduleOverview();
      }
    }
  }

  /** At most one overview request a second, and always one after the last change. */
  function scheduleOverview() {
    if (overviewInFlight) {
      overviewAgain = true;
      return;
    }
    if (overviewTimer !== null) return;
    const wait = Math.max(0, lastOverviewAt + OVERVIEW_MIN_GAP_MS - Date.now());
    overviewTimer = later(() => {
      overviewTimer = null;
      void loadOverview();
    }, wait);
  }

  function renderOverview() {
    const scope = $('scope');
    scope.hidden = false;
    $('scope-name').textContent =
      grid.rootId && grid.byId.has(grid.rootId)
        ? grid.name(grid.rootId)
        : grid.roots.length === 1
          ? grid.name(grid.roots[0].id)
          : t('header.allGrid');
    renderKpiStrip();
    renderTree($('tree'), grid, {
      expanded,
      selectedId,
      onToggle: (id) => {
        if (expanded.has(id)) expanded.delete(id);
        else expanded.add(id);
        renderOverview();
      },
      onSelect: (id) => select(id),
    });
    $('seals-node').textContent = selectedId ? grid.name(selectedId) : '';
    queue.render();
  }

  function renderKpiStrip() {
    renderKpis($('kpis'), grid.totals(), {
      alerts: alertsState === 'missing' ? null : queue.size,
      critical: queue.sorted().some((a) => a.severity === 'critical' && a.status === 'open'),
    });
  }

  // ── drill-down ────────────────────────────────────────────────────────
  function select(id) {
    selectedId = id;
    try {
      if (id) localStorage.setItem(SELECTED_KEY, id);
      else localStorage.removeItem(SELECTED_KEY);
    } catch {
      // Not remembered across reloads; fine.
    }
    if (id) for (const node of grid.path(id).slice(0, -1)) expanded.add(node.id);
    seals.clear();
    sealsState = id ? 'loading' : 'idle';
    renderOverview();
    renderSeals();
    void duty.show(id);
    if (id) void loadSeals();
  }

  async function loadSeals() {
    const id = selectedId;
    if (!id) return;
    const ticket = ++sealsTicket;
    try {
      const answer = await api.seals(id);
      if (ticket !== sealsTicket) return;
      seals.clear();
      for (const seal of answer?.items ?? []) {
        seals.set(seal.sensorId, seal);
        remember(seal);
      }
      sealsTotal = answer?.total ?? seals.size;
      sealsState = 'ready';
      activity();
      queue.render();
    } catch (err) {
      if (ticket !== sealsTicket || failed(err)) return;
      sealsState = 'error';
      sealsError = reasonOf(err);
    }
    renderSeals();
  }

  function renderSeals() {
    const table = $('seal-table');
    const empty = $('seals-empty');
    const total = $('seals-total');
    $('seals-node').textContent = selectedId ? grid.name(selectedId) : '';
    if (sealsState !== 'ready' || seals.size === 0) {
      table.hidden = true;
      empty.hidden = false;
      empty.textContent =
        sealsState === 'idle'
          ? t('seals.pick')
          : sealsState === 'loading'
            ? t('seals.loading')
            : sealsState === 'error'
              ? t('seals.loadFailed', { reason: sealsError })
              : t('seals.none');
      total.textContent = '';
      return;
    }
    empty.hidden = true;
    table.hidden = false;
    total.textContent =
      sealsTotal > seals.size
        ? t('seals.partial', { shown: seals.size, total: sealsTotal })
        : t('seals.total', { total: seals.size });
    renderSealRows($('seal-rows'), [...seals.values()], {
      changed,
      onHistory: (seal) => void history.open(seal),
    });
    tickAges($('seal-rows'));
  }

  const renderSealsSoon = coalesce(() => renderSeals());
  const renderQueueSoon = coalesce(() => queue.render());

  // ── live stream ───────────────────────────────────────────────────────
  function onEvent(event) {
    activity();
    if (event.event === 'seal') onSeal(JSON.parse(event.data));
    else if (event.event === 'alert') onAlert(JSON.parse(event.data));
    else if (event.event === 'reset') void loadAll();
  }

  function onSeal(seal) {
    remember(seal);
    if (selectedId && seal.gridId && grid.isWithin(seal.gridId, selectedId)) {
      seals.set(seal.sensorId, { ...seals.get(seal.sensorId), ...seal });
      if (sealsState !== 'ready') sealsState = 'ready';
      changed.add(seal.sensorId);
      later(() => {
        changed.delete(seal.sensorId);
        renderSealsSoon();
      }, CHANGED_HIGHLIGHT_MS);
      renderSealsSoon();
    }
    renderQueueSoon();
    scheduleOverview();
  }

  function onAlert(payload) {
    const alert = payload?.alert;
    if (!alert?.id) return;
    alertsInFlight?.push(alert);
    if (alertsState !== 'ready') {
      // The first alert event from a server that had no alert list: it has one now. A load already
      // under way applies this event over its list.
      if (!alertsInFlight) void loadAlerts();
      return;
    }
    queue.apply(alert);
    afterAlertChange();
  }

  function onStatus(state) {
    if (state === 'unauthorized') {
      failed(new ApiError(401, 'unauthorized', 'event stream refused the token'));
      return;
    }
    if (state !== conn.state) conn = { ...conn, state, since: Date.now() };
    // Read everything again on each (re)connection: the replay from Last-Event-ID cannot cover a
    // restarted server (its event ids start again at 1), and three reads are cheap.
    if (state === 'live') void loadAll();
    renderConnection();
  }

  function activity() {
    conn.lastActivity = Date.now();
    renderConnection();
  }

  function renderConnection() {
    const box = $('conn');
    const shown = conn.state === 'reconnecting' && Date.now() - conn.since > 15_000 ? 'down' : conn.state;
    box.dataset.state = shown;
    // setText keeps the text node when nothing changed, so the status region speaks only on news.
    setText($('conn-text'), t(`conn.${shown}`));
    setText(
      $('conn-time'),
      shown === 'live'
        ? conn.lastActivity
          ? t('conn.updated', { time: formatTime(conn.lastActivity) })
          : ''
        : shown === 'down' || shown === 'reconnecting'
          ? t('conn.since', { time: formatTime(conn.since) })
          : '',
    );
  }

  // ── banner ────────────────────────────────────────────────────────────
  let bannerOwner = null;
  function showBanner(owner, text) {
    bannerOwner = owner;
    const banner = $('banner');
    banner.textContent = text;
    banner.dataset.kind = 'error';
    banner.hidden = false;
  }
  function hideBanner(owner) {
    if (bannerOwner === owner) {
      $('banner').hidden = true;
      bannerOwner = null;
    }
  }
  function flash(text, kind) {
    showBanner('flash', text);
    $('banner').dataset.kind = kind;
    later(() => hideBanner('flash'), 8_000);
  }

  // ── lifecycle ─────────────────────────────────────────────────────────
  async function loadAll() {
    await Promise.all([loadOverview(), loadAlerts(), selectedId ? loadSeals() : Promise.resolve()]);
  }

  function start(overview) {
    stopped = false;
    if (overview) {
      grid = buildGrid(overview);
      for (const root of grid.roots) expanded.add(root.id);
      expandedDefaults = true;
      lastOverviewAt = Date.now();
      if (selectedId && !grid.byId.has(selectedId)) selectedId = null;
      activity();
      renderOverview();
    }
    renderAlertMeta();
    if (selectedId) select(selectedId);
    else renderSeals();
    void loadAlerts();
    void loadWorkers();
    stream = connectEvents({ url: '/api/events', getToken, onEvent, onStatus, onActivity: activity });
    every(() => {
      tickAges(document);
      renderConnection();
    }, 5_000);
    every(() => {
      scheduleOverview();
      if (selectedId && sealsState === 'ready') void loadSeals();
      void duty.refresh();
    }, REFRESH_MS);
  }

  function stop() {
    if (stopped) return;
    stopped = true;
    stream?.stop();
    stream = null;
    for (const id of timers) {
      clearTimeout(id);
      clearInterval(id);
    }
    timers.clear();
    clearTimeout(alertsTimer);
    history.close();
    resolver.close();
  }

  /** After a language switch: everything that was built with t() is built again. */
  function relabel() {
    renderOverview();
    renderSeals();
    duty.relabel();
    renderAlertMeta();
    queue.render(true);
    renderConnection();
    tickAges(document);
  }

  return { start, stop, relabel };
}

function readSelected() {
  try {
    return localStorage.getItem(SELECTED_KEY);
  } catch {
    return null;
  }
}
