/**
 * axe-core, run inside a page that headless Chromium shows (issue 18: "axe-core finds no serious or critical
 * accessibility violation on these pages"). The script is injected from node_modules rather than served by the
 * service, so the page's Content-Security-Policy (script-src 'self') does not apply to it: Playwright's
 * addScriptTag would be refused, evaluate() is not.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AccessibilityProblem {
  rule: string;
  impact: string;
  help: string;
  /** CSS selectors of the offending elements (the first few). */
  targets: string[];
}

/**
 * The serious and critical violations of WCAG 2.x A/AA rules on what the page shows now. A test asserts the
 * list is empty; on failure the list names the rule and the elements, which is what a developer needs.
 */
export async function seriousAccessibilityProblems(page: Page): Promise<AccessibilityProblem[]> {
  // evaluate(string) runs in the page's main world like a devtools console line, outside the CSP.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // This callback runs in the page; the project's TypeScript has no DOM types, hence the cast.
    const inPage = globalThis as unknown as {
      axe: { run: (context: unknown, options: unknown) => Promise<unknown> };
      document: unknown;
    };
    const result = (await inPage.axe.run(inPage.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    })) as {
      violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
    };
    return result.violations.map((v) => ({
      rule: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
