/** Tracks a promise without awaiting it: 'pending' until it settles, then how it settled. */
export function track(p: Promise<unknown>): { state: 'pending' | 'resolved' | 'rejected' } {
  const t = { state: 'pending' as 'pending' | 'resolved' | 'rejected' };
  p.then(
    () => {
      t.state = 'resolved';
    },
    () => {
      t.state = 'rejected';
    },
  );
  return t;
}
