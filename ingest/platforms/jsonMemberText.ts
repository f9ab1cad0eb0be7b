/**
 * The text of one member's value in a JSON object, exactly as it was written. OneNET signs the `msg`
 * member's text as it sent it (MD5 over token + nonce + msg); parsing and writing it again could
 * change it (number spelling, escapes, spacing), so the signature is checked over the bytes received.
 * Returns undefined when the text is not a JSON object with that member at the top level.
 */
export function jsonMemberText(json: string, member: string): string | undefined {
  let i = 0;
  const ws = () => {
    while (i < json.length && ' \t\n\r'.includes(json[i] as string)) i++;
  };
  /** From an opening quote to after the closing one. */
  const skipString = (): boolean => {
    i++;
    while (i < json.length) {
      const c = json[i];
      if (c === '\\') i += 2;
      else if (c === '"') {
        i++;
        return true;
      } else i++;
    }
    return false;
  };
  /** Any value: strings and nested brackets are skipped whole. */
  const skipValue = (): boolean => {
    if (json[i] === '"') return skipString();
    let depth = 0;
    while (i < json.length) {
      const c = json[i];
      if (c === '"') {
        if (!skipString()) return false;
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) return true;
        depth--;
        if (depth === 0) {
          i++;
          return true;
        }
      } else if (c === ',' && depth === 0) return true;
      i++;
    }
    return depth === 0;
  };

  ws();
  if (json[i] !== '{') return undefined;
  i++;
  for (;;) {
    ws();
    if (json[i] !== '"') return undefined;
    const keyStart = i;
    if (!skipString()) return undefined;
    let key: unknown;
    try {
      key = JSON.parse(json.slice(keyStart, i));
    } catch {
      return undefined;
    }
    ws();
    if (json[i] !== ':') return undefined;
    i++;
    ws();
    const valueStart = i;
    if (!skipValue()) return undefined;
    if (key === member) return json.slice(valueStart, i).trimEnd();
    ws();
    if (json[i] !== ',') return undefined;
    i++;
  }
}
