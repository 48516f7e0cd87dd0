/**
 * Reading `seqpulse.yml`: YAML syntax errors and the line of any key, so schema errors can say
 * `seqpulse.yml:12 metrics.error_rate.threshold`.
 */
import { isAlias, isCollection, isMap, isScalar, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { byDoor } from './names.js';
import { FileTooLargeError, readBytesCapped } from '../files.js';
import { utf8Text } from '../unicode.js';

/** The most a config file may hold: thousands of metric rules are a few hundred KiB. */
export const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

export interface ConfigFile {
  path: string;
  data: unknown;
  /** 1-based line of the key at `path` in the file, when it can be found. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

export async function readConfigFile(path: string): Promise<ConfigFile> {
  let bytes: Buffer;
  try {
    bytes = await readBytesCapped(path, MAX_CONFIG_FILE_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      err instanceof FileTooLargeError ? `${err.message}: not a seqpulse config file` : code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(err)})`;
    throw new ConfigError([{ source: path, key: '(file)', reason }], `Pass an existing file with ${byDoor({ cli: '--config', action: 'input config' })}, or run \`seqpulse init\` to write one.`);
  }
  return parseConfigText(path, configText(path, bytes));
}

/** The file's text, refused when it is not UTF-8 (unicode.ts), naming the line. */
function configText(path: string, bytes: Buffer): string {
  const decoded = utf8Text(bytes);
  if ('text' in decoded) return decoded.text;
  const hint = 'Save seqpulse.yml as UTF-8 (your editor\'s encoding setting, or `iconv -f latin1 -t utf-8`).';
  throw new ConfigError([{ source: decoded.line === undefined ? path : `${path}:${decoded.line}`, key: '(file)', reason: decoded.reason }], hint);
}

export function parseConfigText(path: string, text: string): ConfigFile {
  const lineCounter = new LineCounter();
  // YAML 1.1's !!binary, !!set, !!omap, !!timestamp would give a Buffer, a Set, a Map, a Date where
  // settings are text, numbers and maps: such a tag is left unresolved, and reported like any tag seqpulse does not read.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, resolveKnownTags: false });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw new ConfigError(problems.map((e) => ({ source: `${path}:${lineCounter.linePos(e.pos[0]).line}`, key: '(yaml)', reason: yamlReason(e) })));
  }
  const complex = complexKeys(doc, path, lineCounter);
  if (complex.length > 0) throw new ConfigError(complex, 'Write each key as a plain name (error_rate, timeout).');
  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (err) {
    // An alias bomb ("billion laughs"): the yaml library refuses to expand aliases past a count.
    throw new ConfigError([{ source: path, key: '(yaml)', reason: (err as Error).message }], 'Write the values out instead of repeating them through anchors and aliases (&name, *name).');
  }
  return { path, data, lineOf: (keyPath) => keyLine(doc, lineCounter, keyPath) };
}

function yamlReason(e: YAMLError): string {
  // The parser's words name its own API ("please use YAML.parseAllDocuments()").
  if (e.code === 'MULTIPLE_DOCS') return 'more than one YAML document (a line "---" starts another): seqpulse.yml holds one document';
  return e.message.split('\n')[0] ?? e.message;
}

/**
 * Keys that are a list or a map (`? [a, b]`), or an alias of one: JavaScript objects have text keys,
 * so the yaml library would make text of them and warn on stderr, raw, in the middle of our output.
 */
function complexKeys(doc: Document, path: string, counter: LineCounter): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (!isCollection(key) && !(isAlias(key) && isCollection(key.resolve(doc)))) return;
      const offset = (key as { range?: [number, number, number] | null }).range?.[0];
      const where = offset === undefined ? path : `${path}:${counter.linePos(offset).line}`;
      issues.push({ source: where, key: '(yaml)', reason: `a key that is a list or a map (${String(key)}): keys in seqpulse.yml are names` });
    },
  });
  return issues;
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
