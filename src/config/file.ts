/**
 * Reading `seqpulse.yml`: YAML syntax errors and the line of any key, so schema errors can say
 * `seqpulse.yml:12 metrics.error_rate.threshold`.
 */
import { isUtf8 } from 'node:buffer';
import { isAlias, isCollection, isMap, isScalar, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { byDoor } from './names.js';
import { FileTooLargeError, readBytesCapped } from '../files.js';

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
  return parseConfigText(path, utf8Text(path, bytes));
}

/**
 * The file's text, refused when it is not UTF-8 (a Latin-1 `café`): decoding would turn the byte
 * into U+FFFD, and the project, env or a query would silently hold another text than the one written.
 */
function utf8Text(path: string, bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const hint = 'Save seqpulse.yml as UTF-8 (your editor\'s encoding setting, or `iconv -f latin1 -t utf-8`).';
  // A newline byte is never part of a multi-byte character: each line is checked on its own.
  for (let line = 1, start = 0; start <= bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const lineBytes = bytes.subarray(start, end);
    const at = isUtf8(lineBytes) ? undefined : firstInvalid(lineBytes);
    if (at) {
      const reason = `not UTF-8 text: byte 0x${lineBytes[at.byte]!.toString(16).padStart(2, '0')} at column ${at.column} (byte offset ${start + at.byte} of the file)`;
      throw new ConfigError([{ source: `${path}:${line}`, key: '(file)', reason }], hint);
    }
    start = end + 1;
  }
  throw new ConfigError([{ source: path, key: '(file)', reason: 'not UTF-8 text' }], hint);
}

/** Where the first byte that is not UTF-8 is: the first U+FFFD the decoder made that the file did not hold. */
function firstInvalid(lineBytes: Buffer): { byte: number; column: number } | undefined {
  const decoded = lineBytes.toString('utf8');
  for (let i = decoded.indexOf('\ufffd'); i !== -1; i = decoded.indexOf('\ufffd', i + 1)) {
    // Everything before the first invalid byte decoded as itself: its length in bytes is the offset.
    const byte = Buffer.byteLength(decoded.slice(0, i));
    if (!(lineBytes[byte] === 0xef && lineBytes[byte + 1] === 0xbf && lineBytes[byte + 2] === 0xbd)) return { byte, column: [...decoded.slice(0, i)].length + 1 };
  }
  return undefined;
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
