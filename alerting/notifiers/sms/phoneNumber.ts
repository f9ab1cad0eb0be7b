/**
 * Phone numbers as people type them ("+86 138 0013 8000", "0086-13800138000", "138 0013 8000") and as
 * SMSCs report a sender (often "8613800138000") reduced to one form, so a reply is matched to the
 * worker whose `phone` it came from. China's country code is dropped from mobile numbers (a mainland
 * mobile is 11 digits starting with 1); other numbers keep their digits with any country code.
 */
export function normalisePhone(raw: string): string {
  let digits = raw.trim().replace(/[\s\-().]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  if (!/^\d{3,20}$/.test(digits)) return '';
  if (/^861\d{10}$/.test(digits)) return digits.slice(2);
  return digits;
}

/** The number as an SMPP destination_addr: a mainland mobile as dialled; others international. */
export function smppAddress(phone: string): { addr: string; ton: number; npi: number } {
  const n = normalisePhone(phone);
  // "+1 202 555 0123" is not a mainland mobile though its digits look like one.
  if (/^(\+|00)(?!86)/.test(phone.trim())) return { addr: n, ton: 1, npi: 1 };
  // TON/NPI (SMPP 3.4 §5.2.5, §5.2.6): 1/1 international ISDN (E.164), 0/1 unknown for national numbers,
  // which is what Chinese carrier gateways expect for a mobile number without the country code.
  if (/^1\d{10}$/.test(n)) return { addr: n, ton: 0, npi: 1 };
  return { addr: n, ton: 1, npi: 1 };
}

/** A normalised number in E.164, as Tencent Cloud's SMS and voice APIs take it: a mainland mobile gets +86. */
export function e164(phone: string): string {
  return /^1\d{10}$/.test(phone) ? `+86${phone}` : `+${phone}`;
}
