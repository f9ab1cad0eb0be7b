import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longer than any file: a new file starts early. */
const UNKNOWN_SECONDS = 1e6;

/** Seconds each test file took in a recorded run, by path from the project root (recordFileDurations.ts writes it). */
export const DURATIONS_FILE = resolve(import.meta.dirname, 'fileDurations.json');

/**
 * Starts the longest test files first, so the workers end close together (started last, a long
 * file runs on alone while the other workers sit idle). Vitest orders by its own cache of
 * durations, which a fresh clone (CI) does not have, and falls back to file size: the
 * 90-second daily-report file then started after 250 s and ran on alone at the end.
 * A file not in the record (a new one) counts as long: it starts early, as vitest's own order does.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const recorded = readDurations();
    const seconds = (spec: TestSpecification) =>
      recorded[relative(this.ctx.config.root, spec.moduleId)] ?? UNKNOWN_SECONDS;
    return [...files].sort(
      (a, b) =>
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        seconds(b) - seconds(a),
    );
  }
}

function readDurations(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(DURATIONS_FILE, 'utf8')) as Record<string, number>;
  } catch {
    // No record (or a broken one): every file counts as unknown, which still runs them all.
    return {};
  }
}
