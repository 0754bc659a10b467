// Runs `nids` subcommands as separate processes, the way an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO } from './stack.ts';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  exited: Promise<Finished>;
  /** SIGTERM, then SIGKILL if it does not exit within `graceMs`. */
  stop(graceMs?: number): Promise<Finished>;
}

export function startNids(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [`${REPO}bin/nids`, ...args], {
    cwd: REPO,
    env: { ...process.env, NIDS_LOG_LEVEL: process.env.NIDS_LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Finished>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const r = await exited;
        clearTimeout(timer);
        return r;
      }
      return exited;
    },
  };
}

/** Runs to completion; throws with its output if it fails or outlives `timeoutMs`. */
export async function runNids(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<Finished> {
  const p = startNids(args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const r = await p.exited;
  clearTimeout(timer);
  if (r.code !== 0) throw new Error(`nids ${args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
