import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/**
 * docs/BENCHMARKS.md holds one section per bench (`npm run bench`, `npm run bench:sip`), each between its
 * own markers, so that running one bench replaces its own figures and keeps the others'. A bench that keeps
 * one section per machine kind (the HTTP part, per CPU model) names it `<family>:<kind>`: a kind not in the
 * file yet goes after the family's last section, so the kinds stay side by side.
 */
const TITLE = '# Benchmarks\n';

export function writeReportSection(file: string, name: string, body: string, family?: string): void {
  const start = `<!-- ${name}: start (written by the bench; edits are overwritten) -->`;
  const end = `<!-- ${name}: end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : TITLE;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  writeFileSync(
    file,
    from >= 0 && to > from
      ? `${current.slice(0, from)}${section}${current.slice(to + end.length)}`
      : insertNewSection(current, section, family),
  );
}

/** After the family's last section when there is one, else at the end. */
function insertNewSection(current: string, section: string, family: string | undefined): string {
  const familyEnds =
    family === undefined ? [] : [...current.matchAll(new RegExp(`<!-- ${family}:[^>]*: end -->`, 'g'))];
  const last = familyEnds.at(-1);
  if (last?.index === undefined) return `${current.trimEnd()}\n\n${section}\n`;
  const after = last.index + last[0].length;
  return `${current.slice(0, after)}\n\n${section}${current.slice(after)}`;
}

/** The CPU model as the OS names it (`AMD EPYC`, `Intel(R) Xeon(R) CPU @ 2.80GHz`): the machine kind of a report. */
export function cpuModel(): string {
  return (cpus()[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
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
