import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/**
 * docs/BENCHMARKS.md holds one section per bench (`npm run bench`, `npm run bench:sip`), each between its
 * own markers, so that running one bench replaces its own figures and keeps the others'.
 */
const TITLE = '# Benchmarks\n';

export function writeReportSection(file: string, name: string, body: string): void {
  const start = `<!-- ${name}: start (written by the bench; edits are overwritten) -->`;
  const end = `<!-- ${name}: end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : TITLE;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from)}${section}${current.slice(to + end.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The machine line of a report: CPUs, memory, Node, and the load other work put on it. */
export function machineNote(): string {
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const load = `load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(', ')} (1, 5, 15 min) when the report was written`;
  return `${machine}; ${load}`;
}
