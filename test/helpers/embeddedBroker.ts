import type { Authenticator } from '../../broker/authenticator.ts';
import { type Broker, createBroker } from '../../broker/createBroker.ts';
import { createLogger } from '../../core/logger.ts';

/**
 * Our own broker (createBroker) on 127.0.0.1 and a free port, in the test's process, without ingest:
 * every publish is accepted. `authenticator` is the test's stand-in for the credential check, the
 * one part not under test here.
 */
export function startEmbeddedBroker(
  authenticator: Pick<Authenticator, 'authenticate'>,
  options: { mayRead?: boolean } = {},
): Promise<Broker> {
  return createBroker({
    port: 0,
    host: '127.0.0.1',
    maxPacketSize: 4096,
    authenticator: authenticator as Authenticator,
    onPublish: async () => ({ accepted: true }),
    mayRead: () => options.mayRead ?? false,
    logger: createLogger('silent'),
  });
}

/**
 * A stand-in login for queue tests: username `token` logs in as a technician's service session (may
 * read and publish config), anything else as the seal named by the client id.
 */
export const sealsAndTechnician: Pick<Authenticator, 'authenticate'> = {
  async authenticate(clientId: string, username: string | undefined) {
    if (username === 'token')
      return {
        ok: true,
        identity: {
          kind: 'service',
          tokenId: 't',
          role: 'technician',
          gridId: null,
          name: 'q',
          expiresAt: null,
        },
      };
    return { ok: true, identity: { kind: 'sensor', id: clientId } };
  },
} as unknown as Pick<Authenticator, 'authenticate'>;
