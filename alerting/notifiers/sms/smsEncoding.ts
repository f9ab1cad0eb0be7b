/**
 * An SMS text as SMPP short messages: the alphabet, and the split into concatenated parts.
 *
 * - Alphabet (SMPP 3.4 §5.2.19 data_coding): text made only of the GSM 03.38 default alphabet goes
 *   as data_coding 0x00, one unpacked septet per octet (the SMSC packs it); anything else — Chinese
 *   in practice — as 0x08, UCS-2 big-endian. GSM's escape-table characters ([ ] { } € …) count two
 *   septets and not every SMSC maps them alike, so a text using them goes as UCS-2 too.
 * - Length: one message holds 140 octets: 160 GSM characters or 70 UCS-2 ones. A longer text is cut
 *   into parts, each starting with a user data header (3GPP TS 23.040 §9.2.3.24.1, "concatenated
 *   short messages, 8-bit reference": IEI 0x00, length 3, reference, total, sequence), which leaves
 *   153 GSM or 67 UCS-2 characters per part; esm_class carries the UDHI bit 0x40 (SMPP 3.4 §5.2.12).
 *   A UTF-16 surrogate pair is never cut between two parts.
 */

/** The GSM 03.38 default alphabet; a character's index is its septet (0x1B, the escape, excluded). */
const GSM_DEFAULT =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_SEPTET = new Map([...GSM_DEFAULT].map((ch, i) => [ch, i] as const));
GSM_SEPTET.delete('\u001b');

export const DATA_CODING_GSM = 0x00;
export const DATA_CODING_UCS2 = 0x08;
export const ESM_CLASS_UDHI = 0x40;

const LIMITS = {
  gsm: { single: 160, part: 153 },
  ucs2: { single: 70, part: 67 },
} as const;

export type SmsAlphabet = keyof typeof LIMITS;

export interface SmsPart {
  dataCoding: number;
  /** 0, or ESM_CLASS_UDHI when the part starts with a concatenation header. */
  esmClass: number;
  shortMessage: Buffer;
}

export function alphabetOf(text: string): SmsAlphabet {
  for (const ch of text) if (!GSM_SEPTET.has(ch)) return 'ucs2';
  return 'gsm';
}

/** The text cut into the pieces each part carries (UTF-16 code units for UCS-2, characters for GSM). */
function pieces(text: string, alphabet: SmsAlphabet): string[] {
  const { single, part } = LIMITS[alphabet];
  if (text.length <= single) return [text];
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(text.length, at + part);
    // Do not cut a surrogate pair (an emoji, a rare CJK character outside the BMP) in half.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

/** How many messages the text takes (what the recipient's operator bills). */
export function partCount(text: string): number {
  return pieces(text, alphabetOf(text)).length;
}

function encodeBody(piece: string, alphabet: SmsAlphabet): Buffer {
  if (alphabet === 'gsm') return Buffer.from([...piece].map((ch) => GSM_SEPTET.get(ch) ?? 0x3f));
  // UCS-2 big-endian: Node has utf16le only, so swap each code unit's bytes.
  return Buffer.from(piece, 'utf16le').swap16();
}

/**
 * The parts to submit. `reference` (0–255) names the concatenated message on the handset: keep it
 * the same on a retry of the same notification, so a phone that got some parts the first time
 * assembles rather than shows two half-messages.
 */
export function encodeSms(text: string, reference: number): SmsPart[] {
  const alphabet = alphabetOf(text);
  const dataCoding = alphabet === 'gsm' ? DATA_CODING_GSM : DATA_CODING_UCS2;
  const list = pieces(text, alphabet);
  if (list.length > 255) throw new RangeError(`an SMS of ${list.length} parts is over the 255 allowed`);
  if (list.length === 1) return [{ dataCoding, esmClass: 0, shortMessage: encodeBody(text, alphabet) }];
  return list.map((piece, i) => ({
    dataCoding,
    esmClass: ESM_CLASS_UDHI,
    shortMessage: Buffer.concat([
      Buffer.from([0x05, 0x00, 0x03, reference & 0xff, list.length, i + 1]),
      encodeBody(piece, alphabet),
    ]),
  }));
}

/**
 * One received short message back to text and its concatenation header, if any: what an SMSC or a
 * handset does. Used for mobile-originated replies (which may arrive in parts) and by the tests.
 */
export function decodeShortMessage(
  shortMessage: Buffer,
  dataCoding: number,
  esmClass: number,
): { text: string; concat?: { reference: number; total: number; seq: number } } {
  let body = shortMessage;
  let concat: { reference: number; total: number; seq: number } | undefined;
  if (esmClass & ESM_CLASS_UDHI && body.length > 0) {
    const udhLength = body[0] ?? 0;
    const udh = body.subarray(1, 1 + udhLength);
    // Walk the information elements for IEI 0x00 (8-bit reference) or 0x08 (16-bit reference).
    for (let i = 0; i + 1 < udh.length; i += 2 + (udh[i + 1] ?? 0)) {
      const iei = udh[i];
      if (iei === 0x00 && udh[i + 1] === 3)
        concat = { reference: udh[i + 2] ?? 0, total: udh[i + 3] ?? 1, seq: udh[i + 4] ?? 1 };
      if (iei === 0x08 && udh[i + 1] === 4)
        concat = {
          reference: ((udh[i + 2] ?? 0) << 8) | (udh[i + 3] ?? 0),
          total: udh[i + 4] ?? 1,
          seq: udh[i + 5] ?? 1,
        };
    }
    body = body.subarray(1 + udhLength);
  }
  const coding = dataCoding & 0x0f;
  let text: string;
  if (coding === DATA_CODING_UCS2) text = Buffer.from(body).swap16().toString('utf16le');
  else if (coding === DATA_CODING_GSM) text = [...body].map((b) => GSM_DEFAULT[b] ?? '?').join('');
  // 0x01 IA5 (ASCII), 0x03 Latin-1: one octet a character either way.
  else text = body.toString('latin1');
  return concat ? { text, concat } : { text };
}
