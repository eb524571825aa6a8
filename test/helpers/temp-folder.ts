// A fresh folder under the system's temp dir (no node_modules above it), removed when the test
// ends: where a user's stray plugin file or a throwaway install lives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function tempFolder(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vaurien-${prefix}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
