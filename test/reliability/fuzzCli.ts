/**
 * Runs the MQTT fuzzer in its own process, so it does not share an event
 * loop with the client whose latency a test measures.
 * Usage: node --import tsx test/reliability/fuzzCli.ts '<FuzzOptions as JSON>'
 * Prints the FuzzStats as one JSON line.
 */
import { runFuzz } from './mqttFuzzer.ts';

const options = JSON.parse(process.argv[2] ?? '{}');
const stats = await runFuzz(options);
process.stdout.write(`${JSON.stringify(stats)}\n`);
process.exit(0);
