// Adds up vitest's JSON reports into the one closing line CI reads: "N passed, M failed".
// A step that failed without a report (build, typecheck...) counts as one failure.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, failedStepCount, ...failedSteps] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const reported = new Set();
for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  reported.add(file.replace(/\.json$/, ''));
  if (report.numFailedTestSuites > 0 && report.numFailedTests === 0) {
    failed += report.numFailedTestSuites;
  }
}
const unreported = failedSteps.filter((step) => !reported.has(step.split(' ')[0]));
failed += unreported.length;
if (Number(failedStepCount) > 0) {
  console.log(`failed steps: ${failedSteps.join(', ')}`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || Number(failedStepCount) > 0 ? 1 : 0);
