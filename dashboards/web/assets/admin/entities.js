/**
 * What the administrator manages, described once: each entity's API path, its list's columns, the
 * fields of its create and edit forms, and what else a row can do. crud.js turns one description
 * into a whole screen, so a new entity is a new entry here, not a new screen.
 *
 * The rules (required fields, formats, scope) live in the API alone: the page sends what was typed
 * and shows the API's refusal as it is, so the two never disagree.
 */

const ROLES = ['admin', 'monitor', 'worker', 'technician'];

/** Every field any form has, by name; an entity lists the names it uses. */
const FIELDS = {
  id: { type: 'text', required: true },
  name: { type: 'text', required: true },
  level: { type: 'text', required: true },
  parentId: { type: 'ref', ref: 'grid', emptyAs: null, hint: 'field.parentIdHint' },
  gridId: { type: 'ref', ref: 'grid', required: true },
  scopeGridId: {
    name: 'gridId',
    type: 'ref',
    ref: 'grid',
    emptyAs: null,
    hint: 'field.gridIdAll',
    nullText: 'header.allGrid',
  },
  workerRole: {
    name: 'role',
    type: 'select',
    options: ['worker', 'leader', 'technician'],
    optionPrefix: 'role',
    required: true,
  },
  role: { type: 'select', options: ROLES, optionPrefix: 'role', required: true },
  email: { type: 'text' },
  phone: { type: 'text' },
  webhook: { type: 'text' },
  chatUserId: { type: 'text' },
  address: { type: 'text', required: true },
  contact: { type: 'text' },
  householdId: { type: 'ref', ref: 'households', required: true },
  model: { type: 'ref', ref: 'models' },
  friendlyName: { type: 'text' },
  start: { type: 'datetime', required: true },
  end: { type: 'datetime' },
  windowGridId: { name: 'gridId', type: 'ref', ref: 'grid', hint: 'field.windowTarget' },
  windowHouseholdId: { name: 'householdId', type: 'ref', ref: 'households' },
  windowEnd: { name: 'end', type: 'datetime', required: true },
  reason: { type: 'text', required: true },
  by: { type: 'text', required: true },
  username: { type: 'text', required: true },
  password: { type: 'password', required: true, hint: 'field.passwordHint' },
  newPassword: { name: 'password', label: 'field.newPassword', type: 'password', hint: 'field.passwordHint' },
  workerId: { type: 'ref', ref: 'workers' },
  disabled: { type: 'checkbox' },
  expiresAt: { type: 'datetime', nullText: 'field.never' },
  armed: { type: 'checkbox' },
  commissioning: { type: 'checkbox' },
  status: { optionPrefix: 'token' },
  createdAt: { type: 'datetime' },
};

/** `['id', 'name']` → full field descriptions (label `field.<name>` unless the field has its own). */
const pick = (keys) =>
  keys.map((key) => {
    const field = FIELDS[key] ?? {};
    const name = field.name ?? key;
    return { ...field, name, label: field.label ?? `field.${name}` };
  });

/** A record's path below its list's: `/api/grid/<id>`. */
const itemPath = (base) => (row) => `${base}/${encodeURIComponent(row.id)}`;

/** The quarantines and windows have no list of their own: a household's schedule holds both. */
const scheduleList = (key) => ({
  scope: 'households',
  load: async (api, { scope }) => {
    const schedule = await api.call('GET', `/api/households/${encodeURIComponent(scope)}/schedule`);
    return { items: schedule[key], total: schedule[key].length };
  },
});

export const ENTITIES = {
  grid: {
    path: '/api/grid',
    columns: pick(['id', 'name', 'level', 'parentId']),
    create: pick(['id', 'name', 'parentId', 'level']),
    edit: pick(['name', 'level', 'parentId']),
    remove: true,
  },
  workers: {
    path: '/api/workers',
    columns: pick(['id', 'name', 'workerRole', 'gridId', 'phone', 'email']),
    create: pick(['id', 'name', 'gridId', 'workerRole', 'phone', 'email', 'webhook', 'chatUserId']),
    edit: pick(['name', 'gridId', 'workerRole', 'phone', 'email', 'webhook', 'chatUserId']),
    remove: true,
  },
  households: {
    path: '/api/households',
    columns: pick(['id', 'address', 'gridId', 'contact', 'armed']),
    create: pick(['id', 'gridId', 'address', 'contact']),
    edit: pick(['address', 'gridId', 'contact']),
    remove: true,
  },
  sensors: {
    path: '/api/sensors',
    columns: pick(['id', 'householdId', 'model', 'friendlyName', 'commissioning']),
    create: pick(['id', 'householdId', 'model', 'friendlyName']),
    edit: pick(['model', 'friendlyName']),
    remove: true,
    secret: { field: 'secret', what: 'secret.sensor' },
  },
  quarantines: {
    path: '/api/quarantines',
    list: scheduleList('quarantines'),
    columns: pick(['id', 'householdId', 'start', 'end']),
    create: pick(['householdId', 'start', 'end']),
    // A quarantine is ended, never edited otherwise or removed (PATCH takes only its end).
    edit: pick(['end']),
  },
  windows: {
    path: '/api/windows',
    list: scheduleList('windows'),
    columns: pick(['id', 'start', 'end', 'reason', 'by', 'gridId', 'householdId']),
    create: pick(['windowGridId', 'windowHouseholdId', 'start', 'windowEnd', 'reason', 'by']),
    remove: true,
  },
  users: {
    path: '/api/users',
    columns: pick(['username', 'role', 'scopeGridId', 'workerId', 'disabled', 'createdAt']),
    create: pick(['username', 'password', 'role', 'scopeGridId', 'workerId']),
    edit: pick(['role', 'scopeGridId', 'workerId', 'newPassword', 'disabled']),
    remove: true,
    label: (row) => row.username,
    actions: [
      {
        key: 'endSessions',
        method: 'DELETE',
        path: (row) => `/api/users/${encodeURIComponent(row.id)}/sessions`,
        done: (answer) => ['action.endSessionsDone', { id: answer.username, n: answer.sessionsEnded }],
      },
    ],
  },
  tokens: {
    path: '/api/tokens',
    columns: pick(['name', 'role', 'scopeGridId', 'status', 'expiresAt', 'createdAt']),
    create: pick(['name', 'role', 'scopeGridId', 'expiresAt']),
    remove: true,
    removeLabel: 'action.revoke',
    // A revoked token stays in the list (the API keeps it, with its status): no second revoke.
    removable: (row) => row.status === 'active',
    label: (row) => row.name,
    secret: { field: 'token', what: 'secret.token' },
  },
};

for (const [key, entity] of Object.entries(ENTITIES)) {
  entity.key = key;
  entity.title = `screen.${key}`;
  entity.item = itemPath(entity.path);
  entity.list ??= {
    load: (api, { limit, offset }) => api.call('GET', `${entity.path}?limit=${limit}&offset=${offset}`),
  };
  entity.label ??= (row) => row.id;
}
