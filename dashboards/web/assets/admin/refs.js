/**
 * Suggestions for fields that name another record (a grid node, a household, a worker, a model):
 * loaded once per screen from the same lists the screens show, offered as a datalist. The field
 * still takes any id: the API says when one is unknown.
 */
const SOURCES = {
  grid: { path: '/api/grid?limit=10000', label: (n) => n.name },
  households: { path: '/api/households?limit=1000', label: (h) => h.address ?? h.id },
  workers: { path: '/api/workers?limit=1000', label: (w) => w.name },
  // A model's name is a sentence ("Generic (native protocol, …)"): its id reads better in a table.
  models: { path: '/api/models', label: (m) => m.id },
};

export function createRefs(api) {
  const loaded = new Map();
  return {
    /** Loads the lists the given fields name (failures leave that list empty: suggestions only). */
    async load(fields) {
      const wanted = new Set(fields.filter((f) => f.ref && !loaded.has(f.ref)).map((f) => f.ref));
      await Promise.all(
        [...wanted].map(async (ref) => {
          const source = SOURCES[ref];
          const answer = await api.call('GET', source.path).catch(() => ({ items: [] }));
          loaded.set(
            ref,
            answer.items.map((item) => ({ id: item.id, label: source.label(item) })),
          );
        }),
      );
    },
    options: (ref) => loaded.get(ref) ?? [],
    /** The name of a record a table names by id (null: not among the suggestions). */
    label: (ref, id) => loaded.get(ref)?.find((o) => o.id === id)?.label ?? null,
    /** After a create or remove, the next form asks again. */
    forget: () => loaded.clear(),
  };
}
