// Interleaved A/B of builds at one CPU throttling rate: runs scripts/perf.mjs on each dist
// in turn, ROUNDS times, and prints per build the median fps, long tasks and longest task.
// This machine's speed drifts by ±25 % within an hour, so only interleaved runs compare.
//   node scripts/ab.mjs [--rounds 5] [--rate 4] [--seconds 5] DIST_A DIST_B …
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const argv = process.argv.slice(2);
const opt = (name, d) => { const i = argv.indexOf(`--${name}`); if (i < 0) return d; const v = argv[i + 1]; argv.splice(i, 2); return v; };
const rounds = Number(opt('rounds', '5'));
const rate = opt('rate', '4');
const seconds = opt('seconds', '5');
const dists = argv.map((d) => path.resolve(d));
const perf = path.join(path.dirname(fileURLToPath(import.meta.url)), 'perf.mjs');
const res = Object.fromEntries(dists.map((d) => [d, []]));
for (let r = 0; r < rounds; r++) {
  for (const d of dists) {
    const out = JSON.parse(execFileSync('node', [perf, '--rates', rate, '--seconds', seconds], { env: { ...process.env, PC_DIST: d }, maxBuffer: 1 << 24 }).toString());
    const run = out.runs[0];
    res[d].push(run);
    console.log(`round ${r + 1} ${path.basename(d)}: ${run.fps} fps, p95 ${run.frame_p95_ms} ms, ${run.long_tasks} long tasks (longest ${run.longest_task_ms} ms), after kicks [${run.long_tasks_after_kicks}]`);
  }
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
for (const d of dists) {
  const runs = res[d];
  console.log(`${path.basename(d)}: median ${med(runs.map((x) => x.fps))} fps (${runs.map((x) => x.fps).join(' / ')}), long tasks ${runs.map((x) => x.long_tasks).join(' / ')}, longest ${runs.map((x) => x.longest_task_ms).join(' / ')} ms`);
}
