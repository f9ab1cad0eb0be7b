/** What one platform push says about one device, before it is checked against the application. */
export type PlatformReport =
  /** The device's own data (see sealPayload.ts), as the platform carried it. */
  | { kind: 'data'; deviceId: string; payload: unknown }
  /** The platform's view of the device's connection; `at` is the platform's time of the change. */
  | { kind: 'status'; deviceId: string; online: boolean; at: number };

/** A push the platform sent but we cannot read: a 400, nothing changes. */
export type ParsedPush = { ok: true; reports: PlatformReport[] } | { ok: false; detail: string };
