// Real production noise for judging judges: PRE and POST windows cut from public traces of real
// systems (bench/data/real/README.md names each source and its licence), healthy as they were, or
// with a regression of known size injected into the same real window from the first POST sample.
// Shared by `npm run bench:verdicts` and test/core/real-noise.test.ts.
//
// The traces:
// - Google cluster-usage traces (May 2011), CPU and memory utilisation of 400 "VMs" (jobs' tasks
//   summed per 5 minutes), 288 samples a day each: cpu_usage and memory_usage, sampled every 5 min.
// - Azure LLM inference traces (2023-11-16), every request of two production services over an hour
//   ("conv": steady, ~5 req/s; "code": bursty, ~2.5 req/s). Turned into what an app reports: a
//   rolling 60 s request rate (requests_per_sec) and the p95 of the tokens each request generated
//   over the same 60 s (latency_p95: an LLM's response time grows with the tokens it generates, so
//   this is the service's real per-request work), sampled every 10 s. Both traces are samples of
//   the services' requests, not all of them; the "code" sample is so thin (minutes without a single
//   request) that its counts are not a service's traffic, so only its latency is used.
// - PlanetLab (March-April 2011, from the CoMon monitoring as CloudSim ships it), the CPU of single
//   VMs on shared hosts, one sample every 5 minutes: far noisier than the Google jobs (one VM, not a
//   job's tasks summed), jumping by half its level from one sample to the next; cpu_usage.
// - Azure VMs (2017, the Azure Public Dataset V1), the average CPU of 178 VMs per 5 minutes, 3 days
//   each: continuous values (no whole-percent steps), mostly lightly loaded (median 3%), 78 of them
//   with a marked daily cycle; cpu_usage.
// - Huawei Cloud's public serverless trace (2025), requests per 5 minutes of 15 functions over 2.5
//   days (requests_per_sec): from steady ~600/s to bursty, mostly idle functions, with daily cycles.
// - CESNET-TimeSeries24 (2023), the bytes 30 hosts of a research network sent and received per 10
//   minutes, one week: a host's traffic in kB/s, judged with the traffic rule (requests_per_sec, a
//   fall of 40%) as a dashboard's "network in" would be. Spiky (a single window at 50x its median is
//   common), office hosts with a working day and a weekend, near-idle hosts. POST is 15 samples here
//   (2.5 hours, as the 5-minute families' 30).
// - The NASA Kennedy Space Center web server (July and August 1995), requests per minute
//   (requests_per_sec). Its logs hold real outages (a hurricane, minutes with no request at all):
//   windows that touch one are not used, neither as healthy windows nor to inject a regression into.
//
// A regression multiplies a metric's values from the first POST sample. Requests the traces counted
// per interval (the serverless functions, the web server) lose requests instead: each one counted is
// kept with the probability the factor gives (binomial thinning), so a -60% drop of 3 requests an
// interval is 1 or 2 of them, never 1.2. A real traffic loss is a loss of whole requests, and counts
// scaled to fractions are neither what an app would report nor as noisy as what it would.
import { readFileSync } from 'node:fs';
import { seededRandom as seeded } from '../build/src/demo/app.js';

const DATA = new URL('./data/real/', import.meta.url);

let vmCache;
function vms() {
  vmCache ??= JSON.parse(readFileSync(new URL('google-cluster-2011-vms.json', DATA), 'utf8')).vms.map((v) => ({
    name: v.vm,
    intervalMs: 300_000,
    series: { cpu_usage: v.cpu, memory_usage: v.memory },
  }));
  return vmCache;
}

const ROLLING_S = 60;
const MIN_REQUESTS_FOR_P95 = 5;
const STEP_S = 10;
const llmCache = {};
/** One Azure trace as an app would expose it: rolling 60 s figures sampled every 10 s. */
function llm(name) {
  if (llmCache[name]) return llmCache[name];
  const lines = readFileSync(new URL(`azure-llm-2023-${name}.csv`, DATA), 'utf8').trim().split('\n').slice(1);
  const requests = lines.map((line) => {
    const [stamp, , generated] = line.split(',');
    return { t: Date.parse(`${stamp.slice(0, 23).replace(' ', 'T')}Z`) / 1000, tokens: Number(generated) };
  });
  const start = requests[0].t + ROLLING_S;
  const end = requests.at(-1).t;
  const rps = [];
  const p95 = [];
  let lo = 0;
  let hi = 0;
  for (let t = start; t <= end; t += STEP_S) {
    while (hi < requests.length && requests[hi].t <= t) hi++;
    while (lo < hi && requests[lo].t <= t - ROLLING_S) lo++;
    const tokens = requests.slice(lo, hi).map((r) => r.tokens).sort((a, b) => a - b);
    rps.push((hi - lo) / ROLLING_S);
    // No latency to report over a minute with almost no requests: an app reports none (the key is left out).
    p95.push(tokens.length >= MIN_REQUESTS_FOR_P95 ? tokens[Math.min(tokens.length - 1, Math.ceil(0.95 * tokens.length) - 1)] : undefined);
  }
  const series = name === 'code' ? { latency_p95: p95 } : { requests_per_sec: rps, latency_p95: p95 };
  return (llmCache[name] = { name: `azure-llm-${name}`, intervalMs: STEP_S * 1000, series });
}

/** VMs' CPU (%) every 5 minutes, one series each, from a file of {vm, cpu} entries. */
function cpuVms(file, prefix) {
  return JSON.parse(readFileSync(new URL(file, DATA), 'utf8')).vms.map((v) => ({ name: `${prefix}-${v.vm}`, intervalMs: 300_000, series: { cpu_usage: v.cpu } }));
}

let planetlabCache;
/** PlanetLab VMs: one day each. */
const planetlab = () => (planetlabCache ??= cpuVms('planetlab-2011-cpu.json', 'planetlab'));

let azureCache;
/** Azure VMs: average CPU, three days each. */
const azure = () => (azureCache ??= cpuVms('azure-vm-2017-cpu.json', 'azure'));

let faasCache;
/** Huawei Cloud functions: requests per 5 minutes, as requests per second. */
function faas() {
  faasCache ??= JSON.parse(readFileSync(new URL('huawei-faas-2025-requests.json', DATA), 'utf8')).series.map((s) => ({
    name: `huawei-${s.name}`,
    intervalMs: 300_000,
    countSeconds: 300,
    series: { requests_per_sec: s.values.map((v) => v / 300) },
  }));
  return faasCache;
}

let netCache;
/** Hosts of a research network: the bytes they sent and received per 10 minutes, as kilobytes per second. */
function net() {
  netCache ??= JSON.parse(readFileSync(new URL('cesnet-2023-ip-bytes.json', DATA), 'utf8')).hosts.map((h) => ({
    name: `cesnet-${h.name}`,
    intervalMs: 600_000,
    series: { requests_per_sec: h.bytes.map((b) => b / 1000 / 600) },
  }));
  return netCache;
}

let aggregateCache;
/**
 * Whole clusters, per 5 minutes (the out-of-sample families): Google's 2019 cluster (its instances'
 * average CPU and memory use, normalised, as %) and Azure's VMs in 2019 (their CPU use summed).
 */
function aggregates() {
  if (aggregateCache) return aggregateCache;
  const columns = (file) => {
    const [head, ...lines] = readFileSync(new URL(file, DATA), 'utf8').trim().split('\n');
    const names = head.split(',');
    return Object.fromEntries(names.map((name, j) => [name, lines.map((line) => Number(line.split(',')[j]))]));
  };
  const google = columns('google-cluster-2019-aggregate.csv');
  const azure = columns('azure-vm-2019-aggregate.csv');
  aggregateCache = {
    google2019: [{ name: 'google-cluster-2019', intervalMs: 300_000, series: { cpu_usage: google.avg_cpu.map((v) => 100 * v), memory_usage: google.avg_mem.map((v) => 100 * v) } }],
    azure2019: [{ name: 'azure-vms-2019', intervalMs: 300_000, series: { cpu_usage: azure.cpu_usage } }],
  };
  return aggregateCache;
}

let nasaCache;
/** The NASA web server: requests per minute, as requests per second (null: the server was down). */
function nasa() {
  nasaCache ??= JSON.parse(readFileSync(new URL('nasa-ksc-1995-requests.json', DATA), 'utf8')).series.map((s) => ({
    name: s.name,
    intervalMs: 60_000,
    countSeconds: 60,
    series: { requests_per_sec: s.values.map((v) => (v === null ? undefined : v / 60)) },
    // Minutes with no request at all, three or more in a row, are the server down: a known incident.
    usable: noOutage(s.values),
  }));
  return nasaCache;
}

/** A test for windows [at, at + span) that hold no run of 3 or more empty minutes. */
function noOutage(values) {
  const down = new Uint8Array(values.length);
  for (let i = 0; i + 3 <= values.length; i++) {
    if (values.slice(i, i + 3).every((v) => v === null || v === 0)) down.fill(1, i, i + 3);
  }
  const prefix = new Uint32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) prefix[i + 1] = prefix[i] + down[i];
  return (at, span) => prefix[at + span] - prefix[at] === 0;
}

const POST_SAMPLES = 30;

/** A multiplier per POST sample (i of n) for each metric it touches. */
const step = (factors) => () => factors;
const ramp = (metric, to) => (i, n) => ({ [metric]: 1 + (to - 1) * (i / Math.max(1, n - 1)) });

/**
 * expected: `ok` (healthy), `rollback_recommended` (rollback-worthy: a critical metric past its
 * threshold, or two metrics), `attention` (one non-critical metric: anything but ok).
 * `times`: the injected change in multiples of the metric's threshold (for the "never ok past twice
 * its threshold" count).
 */
export const REAL_FAMILIES = [
  { name: 'vm_healthy', expected: 'ok', source: 'vm' },
  { name: 'llm_conv_healthy', expected: 'ok', source: 'conv' },
  { name: 'llm_code_healthy (latency, bursty)', expected: 'ok', source: 'code' },
  { name: 'vm_cpu_x1.5_threshold', expected: 'attention', source: 'vm', times: 1.5, effect: step({ cpu_usage: 1.75 }) },
  { name: 'vm_cpu_x2_threshold', expected: 'attention', source: 'vm', times: 2, effect: step({ cpu_usage: 2 }) },
  { name: 'vm_memory_x2_threshold', expected: 'attention', source: 'vm', times: 2, effect: step({ memory_usage: 2.4 }) },
  { name: 'vm_memory_leak (+35% ramp)', expected: 'attention', source: 'vm', effect: ramp('memory_usage', 1.35) },
  { name: 'vm_cpu_and_memory_x1.5', expected: 'rollback_recommended', source: 'vm', times: 1.5, effect: step({ cpu_usage: 1.75, memory_usage: 2.05 }) },
  { name: 'llm_conv_latency_x2_threshold', expected: 'attention', source: 'conv', times: 2, effect: step({ latency_p95: 1.6 }) },
  { name: 'llm_conv_traffic_drop_x1.5 (-60%)', expected: 'rollback_recommended', source: 'conv', times: 1.5, effect: step({ requests_per_sec: 0.4 }) },
  { name: 'llm_conv_traffic_drop_x2 (-80%)', expected: 'rollback_recommended', source: 'conv', times: 2, effect: step({ requests_per_sec: 0.2 }) },
  { name: 'llm_code_latency_x2_threshold', expected: 'attention', source: 'code', times: 2, effect: step({ latency_p95: 1.6 }) },
  { name: 'faas_healthy (bursty traffic)', expected: 'ok', source: 'faas' },
  { name: 'web_healthy (traffic)', expected: 'ok', source: 'nasa' },
  { name: 'faas_traffic_drop_x1.5 (-60%)', expected: 'rollback_recommended', source: 'faas', times: 1.5, effect: step({ requests_per_sec: 0.4 }) },
  { name: 'faas_traffic_drop_x2 (-80%)', expected: 'rollback_recommended', source: 'faas', times: 2, effect: step({ requests_per_sec: 0.2 }) },
  { name: 'web_traffic_drop_x1.5 (-60%)', expected: 'rollback_recommended', source: 'nasa', times: 1.5, effect: step({ requests_per_sec: 0.4 }) },
  { name: 'web_traffic_drop_x2 (-80%)', expected: 'rollback_recommended', source: 'nasa', times: 2, effect: step({ requests_per_sec: 0.2 }) },
  { name: 'llm_conv_latency_and_traffic_x1.5', expected: 'rollback_recommended', source: 'conv', times: 1.5, effect: step({ latency_p95: 1.45, requests_per_sec: 0.4 }) },
  { name: 'planetlab_healthy (noisy VM CPU)', expected: 'ok', source: 'planetlab' },
  { name: 'planetlab_cpu_x1.5_threshold', expected: 'attention', source: 'planetlab', times: 1.5, effect: step({ cpu_usage: 1.75 }) },
  { name: 'planetlab_cpu_x2_threshold', expected: 'attention', source: 'planetlab', times: 2, effect: step({ cpu_usage: 2 }) },
  { name: 'azure_vm_healthy (CPU, daily cycles)', expected: 'ok', source: 'azure' },
  { name: 'azure_vm_cpu_x1.5_threshold', expected: 'attention', source: 'azure', times: 1.5, effect: step({ cpu_usage: 1.75 }) },
  { name: 'azure_vm_cpu_x2_threshold', expected: 'attention', source: 'azure', times: 2, effect: step({ cpu_usage: 2 }) },
  { name: 'net_healthy (host traffic, bytes)', expected: 'ok', source: 'net', post: 15 },
  { name: 'net_traffic_drop_x1.5 (-60%)', expected: 'rollback_recommended', source: 'net', post: 15, times: 1.5, effect: step({ requests_per_sec: 0.4 }) },
  { name: 'net_traffic_drop_x2 (-80%)', expected: 'rollback_recommended', source: 'net', post: 15, times: 2, effect: step({ requests_per_sec: 0.2 }) },
];

/**
 * Out of sample: traces added after the judge was tuned (12-07, night), never used to tune it, shown
 * beside the suite without targets. Whole clusters, far smoother than one machine or function, so
 * easier; what they can show is a class of mistake the suite does not have.
 */
export const OUT_OF_SAMPLE_FAMILIES = [
  ...machineFamilies('google2019', 'cluster CPU, memory', true),
  ...machineFamilies('azure2019', 'region CPU', false),
];

/** The injections of the suite's VM families, for a source of CPU (and memory, `memory`). */
function machineFamilies(source, what, memory) {
  const cpu = [
    { name: `${source}_healthy (${what})`, expected: 'ok', source },
    { name: `${source}_cpu_x1.5_threshold`, expected: 'attention', source, times: 1.5, effect: step({ cpu_usage: 1.75 }) },
    { name: `${source}_cpu_x2_threshold`, expected: 'attention', source, times: 2, effect: step({ cpu_usage: 2 }) },
  ];
  if (!memory) return cpu;
  return [
    ...cpu,
    { name: `${source}_memory_x2_threshold`, expected: 'attention', source, times: 2, effect: step({ memory_usage: 2.4 }) },
    { name: `${source}_memory_leak (+35% ramp)`, expected: 'attention', source, effect: ramp('memory_usage', 1.35) },
    { name: `${source}_cpu_and_memory_x1.5`, expected: 'rollback_recommended', source, times: 1.5, effect: step({ cpu_usage: 1.75, memory_usage: 2.05 }) },
  ];
}

/**
 * What the data show, whatever the labels say: the largest move of any ruled metric in its bad
 * direction, POST's median against PRE's, in multiples of the metric's threshold. A healthy window
 * whose traffic fell by half on its own, or an injected x2 that the real series' own fall hid, is
 * told apart from a judge's mistake by this.
 */
export function observedMove(scenario, rules) {
  let largest = Number.NEGATIVE_INFINITY;
  for (const [name, rule] of Object.entries(rules)) {
    const before = median(scenario.pre.map((s) => s.metrics[name]));
    const after = median(scenario.post.map((s) => s.metrics[name]));
    if (!(before > 0) || !scenario.post.some((s) => s.metrics[name] !== undefined)) continue;
    const bad = rule.direction === 'decrease' ? before - after : rule.direction === 'increase' ? after - before : Math.abs(after - before);
    largest = Math.max(largest, (100 * bad) / before / rule.threshold);
  }
  return largest;
}

const median = (values) => {
  const s = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

/**
 * A trace and a window start for the family: never a window with a known incident, and for an
 * injected regression, never one where the metrics it multiplies were zero before the deploy (a
 * traffic drop of an idle function's zero requests is zero: no regression anyone could see).
 */
function pick(pool, family, rand, pre, post) {
  const touched = family.effect ? Object.keys(family.effect(0, post)) : [];
  for (;;) {
    const trace = pool[Math.floor(rand() * pool.length)];
    const length = Object.values(trace.series)[0].length;
    const at = Math.floor(rand() * (length - pre - post));
    if (trace.usable && !trace.usable(at, pre + post)) continue;
    if (touched.some((name) => !(median(trace.series[name]?.slice(at, at + pre) ?? []) > 0))) continue;
    return [trace, at];
  }
}

/**
 * `count` windows of a family, reproducible from `seed`: PRE `pre` samples then POST 30 (or the
 * family's `post`), cut at a
 * random place of a random trace of the family's source. With `history`, each also carries that
 * many earlier healthy windows of the same trace (not overlapping it), as the store would give.
 */
export function realScenarios(family, count, seed = 1, pre = 12, history = 0) {
  const POST = family.post ?? POST_SAMPLES;
  const rand = seeded(seed * 7919 + family.name.length * 104729);
  // History windows from a generator of their own: the windows judged are the same with or without history.
  const other = seeded(seed * 15485863 + family.name.length);
  const pool = { vm: vms, planetlab, azure, faas, nasa, net, google2019: () => aggregates().google2019, azure2019: () => aggregates().azure2019 }[family.source]?.() ?? [llm(family.source)];
  const out = [];
  for (let k = 0; k < count; k++) {
    const [trace, at] = pick(pool, family, rand, pre, POST);
    const length = Object.values(trace.series)[0].length;
    // Its own generator, so the windows picked do not depend on how many requests were thinned.
    const thin = seeded(seed * 31 + k);
    const scaled = (v, factor) => (factor === undefined ? v : trace.countSeconds ? binomial(thin, Math.round(v * trace.countSeconds), factor) / trace.countSeconds : v * factor);
    const snapshot = (i, factors = {}) => ({
      metrics: Object.fromEntries(Object.entries(trace.series).filter(([, values]) => values[i] !== undefined).map(([name, values]) => [name, scaled(values[i], factors[name])])),
    });
    const span = pre + POST;
    const healthy = [];
    for (let tries = 0; healthy.length < history && tries < 100; tries++) {
      const h = Math.floor(other() * (length - span));
      if ((h + span > at && h < at + span) || (trace.usable && !trace.usable(h, span))) continue;
      healthy.push({ pre: Array.from({ length: pre }, (_, i) => snapshot(h + i)), post: Array.from({ length: POST }, (_, i) => snapshot(h + pre + i)) });
    }
    out.push({
      family: family.name,
      expected: family.expected,
      trace: trace.name,
      pre: Array.from({ length: pre }, (_, i) => snapshot(at + i)),
      post: Array.from({ length: POST }, (_, i) => snapshot(at + pre + i, family.effect?.(i, POST))),
      intervalMs: trace.intervalMs,
      healthy,
    });
  }
  return out;
}

/** Binomial(n, p) draw: each of n counted requests kept with probability p (a rounded normal past 500 requests). */
function binomial(rand, n, p) {
  if (n > 500) {
    const u = Math.max(1e-12, rand());
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    return Math.max(0, Math.min(n, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
  }
  let kept = 0;
  for (let i = 0; i < n; i++) if (rand() < p) kept++;
  return kept;
}
