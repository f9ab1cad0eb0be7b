/**
 * Records how long each test file took, for the longest-first order (longestFirstSequencer.ts):
 *
 *   npx vitest run --reporter=default --reporter=json --outputFile.json=/tmp/vitest.json
 *   node --import tsx test/setup/recordFileDurations.ts /tmp/vitest.json
 *
 * Worth doing when files were added or became much longer or shorter; the order only affects how
 * long the whole run takes, never what it checks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { DURATIONS_FILE } from './longestFirstSequencer.ts';

interface JsonReport {
  testResults: Array<{ name: string; startTime: number; endTime: number }>;
}

const reportPath = process.argv[2];
if (!reportPath) {
  console.error('usage: recordFileDurations.ts <vitest JSON report>');
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as JsonReport;
const root = resolve(import.meta.dirname, '../..');
const seconds: Record<string, number> = {};
for (const file of report.testResults.sort((a, b) => a.name.localeCompare(b.name))) {
  // By path from the project root, whichever clone the report was made in.
  const path = /(?:^|\/)(test\/(?:unit|integration|reliability)\/.+)$/.exec(file.name)?.[1] ?? file.name;
  seconds[path] = Math.round((file.endTime - file.startTime) / 100) / 10;
}
writeFileSync(DURATIONS_FILE, `${JSON.stringify(seconds, null, 2)}\n`);
console.log(`${Object.keys(seconds).length} files recorded in ${relative(root, DURATIONS_FILE)}`);
