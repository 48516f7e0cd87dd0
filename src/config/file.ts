/**
 * Reading `seqpulse.yml`: YAML syntax errors and the line of any key, so schema errors can say
 * `seqpulse.yml:12 metrics.error_rate.threshold`.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../errors.js';
import { byDoor } from './names.js';

export interface ConfigFile {
  path: string;
  data: unknown;
  /** 1-based line of the key at `path` in the file, when it can be found. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(err)})`;
    throw new ConfigError([{ source: path, key: '(file)', reason }], `Pass an existing file with ${byDoor({ cli: '--config', action: 'input config' })}, or run \`seqpulse init\` to write one.`);
  }
  return parseConfigText(path, text);
}

export function parseConfigText(path: string, text: string): ConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        source: `${path}:${lineCounter.linePos(e.pos[0]).line}`,
        key: '(yaml)',
        reason: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const data = doc.toJS() ?? {};
  return { path, data, lineOf: (keyPath) => keyLine(doc, lineCounter, keyPath) };
}

function keyLine(doc: Document, counter: LineCounter, keyPath: readonly PropertyKey[]): number | undefined {
  // Walk to the parent map and take the key's own position: it exists even when the value is missing or wrong.
  const parent = keyPath.length > 1 ? doc.getIn(keyPath.slice(0, -1) as unknown[], true) : doc.contents;
  const last = keyPath[keyPath.length - 1];
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
  const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
  return offset === undefined ? undefined : counter.linePos(offset).line;
}
