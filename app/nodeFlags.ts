/**
 * The Node.js options the service runs with, wherever it is started: package.json's `start`, the
 * Dockerfile's CMD, deploy/systemd/sealwatch.service, and the tests' and benches' service
 * (test/helpers/service.ts). test/unit/project/nodeFlags.test.ts checks that they all carry them;
 * the service warns at start when it runs without one (app/main.ts).
 */
export const SERVICE_NODE_FLAGS = [
  // Stack traces name the TypeScript source, not the bundle (dist/main.js.map).
  '--enable-source-maps',
  // V8's young generation kept at the size it grows to under load: 16 MB a semi-space, V8's own
  // maximum on 64 bits in Node 20. V8 shrinks it towards this minimum (1 MB by default) whenever
  // allocation slows below 1,000 bytes a ms, as while seals report hourly (V8's src/heap/heap.cc,
  // Heap::ShouldResizeNewSpace; SemiSpaceNewSpace::Shrink stops at the initial size, which this
  // option sets), and grows it back only by doubling, each time more than its size has survived.
  // The first seconds of a burst after a quiet spell then scavenged every 20–45 ms and moved
  // everything in flight (messages waiting for their commit group, telemetry waiting for its batch)
  // into the old generation, and that brought mark-compacts 2–3 s apart into the burst: 4–5 in 2
  // bursts after 16 s of quiet, none with the option; PUBACK p99 at 5,000 msg/s 4.2–8.7 ms (median
  // 5.4) against 3.6–5.4 (median 4.4) (issue 20.1; README, "Ingest throughput"). RSS did not change
  // measurably (at idle after load 162–167 MiB both ways): the peak is the same 16 MB, only not
  // given back.
  '--min-semi-space-size=16',
  // The old generation's room to grow after a mark-compact: twice what survived it. V8 picks that
  // room from how fast the collector is against how fast the program fills the old generation, for a
  // target of 97 % of the time spent outside the collector (src/heap/heap-controller.cc,
  // MemoryController::DynamicGrowingFactor). A service that moves little into the old generation
  // gets the least room V8 gives (1.1–1.3 times): at a steady 5,000 msg/s the first mark-compact came
  // after about 40 s, and from then on one every 5 s, each a PUBACK spike of 10–30 ms (its pause and
  // the incremental marking steps before it, up to 4 ms each). With this option, in three alternating
  // pairs of 10 rounds of 8 s at that rate: mark-compacts after the first 30 s 9, 9 and 9 without it,
  // 2, 2 and 2 with it; PUBACK p99 of rounds 4–10 (median) 6.0, 5.4 and 5.4 ms against 3.8, 4.4 and
  // 4.6, p99.9 14.4, 12.8 and 14.8 against 12.4, 9.8 and 12.7; RSS at the end 232–233 MiB against
  // 212–217. `npm run bench -- connections`, once each way: 5.3 and 5.3 MiB per 1,000 connections,
  // peak while connecting 340 and 337 MiB, storm peak 506 and 477 MiB (issue 20.1; README, "Ingest
  // throughput"). The deploy guide's recipe for a machine short of memory sets 20 instead.
  '--heap-growing-percent=100',
] as const;

/** The service's options missing from `execArgv` (process.execArgv: the options node was started with). */
export function missingNodeFlags(execArgv: readonly string[]): string[] {
  return SERVICE_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
