/** Who is on the other end of an MQTT connection, decided at CONNECT. */
export type Identity =
  | { kind: 'sensor'; id: string }
  | { kind: 'gateway'; id: string; sensorIds: ReadonlySet<string> }
  /** The service's own clients (commissioning tool, dashboards): an API token as password. */
  | {
      kind: 'service';
      tokenId: string;
      role: string;
      gridId: string | null;
      name: string;
      /** When the token expires (epoch ms): the broker closes the session then. null: never. */
      expiresAt: number | null;
    };

/** MQTT username that introduces an API token as the password. */
export const SERVICE_USERNAME = 'token';
