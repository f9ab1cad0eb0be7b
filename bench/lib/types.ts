/** The contract every `bench/*.bench.ts` module follows; bench/run.ts loads them. */
export interface BenchResult {
  name: string;
  metrics: Record<string, number | string>;
  notes?: string[];
}

export interface BenchContext {
  log: (line: string) => void;
  quick: boolean;
}
