import type { DialectDecoder } from './dialect.ts';
import { nativeDecoder } from './native.ts';

/** Every dialect the service understands, tried in order. */
export const DECODERS: readonly DialectDecoder[] = [nativeDecoder];

export const decoderFor = (topic: string): DialectDecoder | undefined => DECODERS.find((d) => d.matches(topic));
