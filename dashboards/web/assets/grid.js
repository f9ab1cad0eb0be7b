/**
 * The grid as the caller sees it, built from GET /api/overview: a node whose
 * parent is not in the list is a root of this view.
 */
export function buildGrid(overview) {
  const byId = new Map();
  for (const node of overview?.nodes ?? []) byId.set(node.id, node);
  const children = new Map();
  const roots = [];
  const collator = new Intl.Collator(['zh-CN', 'en'], { numeric: true });
  for (const node of byId.values()) {
    if (node.parentId !== null && node.parentId !== undefined && byId.has(node.parentId)) {
      let list = children.get(node.parentId);
      if (!list) {
        list = [];
        children.set(node.parentId, list);
      }
      list.push(node);
    } else {
      roots.push(node);
    }
  }
  const byName = (a, b) => collator.compare(a.name ?? a.id, b.name ?? b.id);
  roots.sort(byName);
  for (const list of children.values()) list.sort(byName);

  /** Nodes from the view's root down to `id` (only those the caller can see). */
  const path = (id) => {
    const out = [];
    let node = byId.get(id);
    while (node && out.length < 64) {
      out.unshift(node);
      node = node.parentId ? byId.get(node.parentId) : undefined;
    }
    return out;
  };

  const isWithin = (id, ancestorId) => {
    let node = byId.get(id);
    for (let depth = 0; node && depth < 64; depth++) {
      if (node.id === ancestorId) return true;
      node = node.parentId ? byId.get(node.parentId) : undefined;
    }
    return false;
  };

  /** Counts of the whole view: the sum over its roots (each root's counts cover its subtree). */
  const totals = () => {
    const sum = { households: 0, sealed: 0, open: 0, offline: 0, lowBattery: 0 };
    for (const root of roots) for (const key of Object.keys(sum)) sum[key] += root.counts?.[key] ?? 0;
    return sum;
  };

  return {
    rootId: overview?.rootId ?? null,
    byId,
    roots,
    children: (id) => children.get(id) ?? [],
    path,
    isWithin,
    totals,
    name: (id) => byId.get(id)?.name ?? id,
  };
}
