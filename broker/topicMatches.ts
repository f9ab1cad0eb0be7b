/**
 * Whether a topic filter matches a topic name (MQTT 3.1.1 section 4.7): `+`
 * is one level, possibly empty (4.7.1.3: `sport/+` matches `sport/`); `#`
 * the remaining levels and the parent (4.7.1.2: `sport/#` matches `sport`); a filter starting with a wildcard does not
 * match a `$` topic (MQTT-4.7.2-1). The filter is assumed valid. No allocation.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === DOLLAR) {
    const first = filter.charCodeAt(0);
    if (first === PLUS || first === HASH) return false;
  }
  const fl = filter.length;
  const tl = topic.length;
  let f = 0;
  let t = 0;
  while (f < fl) {
    const c = filter.charCodeAt(f);
    if (c === HASH) return true;
    if (c === PLUS) {
      while (t < tl && topic.charCodeAt(t) !== SLASH) t++;
      f++;
    } else {
      while (f < fl && filter.charCodeAt(f) !== SLASH) {
        if (t >= tl || topic.charCodeAt(t) !== filter.charCodeAt(f)) return false;
        f++;
        t++;
      }
      if (t < tl && topic.charCodeAt(t) !== SLASH) return false;
    }
    if (f === fl) return t === tl;
    // The filter goes on after a `/`; a topic that ended matches only a final `/#`.
    if (t === tl) return f + 2 === fl && filter.charCodeAt(f + 1) === HASH;
    f++;
    t++;
  }
  return t === tl;
}

const SLASH = 47;
const PLUS = 43;
const HASH = 35;
const DOLLAR = 36;
