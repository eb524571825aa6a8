// vaurien's version, read from its package.json (found by walking up from this file, which
// sits at a different depth in the sources and in dist/).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function readVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'vaurien' && manifest.version !== undefined) return manifest.version;
    } catch {
      // no package.json here: keep walking up
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

export const VERSION = readVersion();
