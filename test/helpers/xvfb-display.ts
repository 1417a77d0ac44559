/**
 * A private X display for end-to-end screen tests: Xvfb on a free display number, its root window
 * painted one known colour with xsetroot (as node-agent's screen.test.ts does), ended by the test
 * file's cleanup() like every other spawned process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { spawnProcess, type Spawned } from './processes.js';

export interface XvfbDisplay {
  /** e.g. ":123" */
  display: string;
  process: Spawned;
}

function freeDisplayNumber(): number {
  for (let attempt = 0; attempt < 100; attempt++) {
    const n = 90 + Math.floor(Math.random() * 111);
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) return n;
  }
  throw new Error('no free X display number between 90 and 200');
}

/** Starts Xvfb (`size` like 320x240) and paints its root `colour` (#rrggbb). Needs xvfb, x11-xserver-utils. */
export async function startXvfb(colour: string, size = '320x240'): Promise<XvfbDisplay> {
  try {
    execFileSync('which', ['Xvfb', 'xsetroot'], { stdio: 'ignore' });
  } catch {
    throw new Error('this test needs Xvfb and xsetroot: apt-get install xvfb x11-xserver-utils');
  }
  const n = freeDisplayNumber();
  const display = `:${n}`;
  // -noreset: otherwise Xvfb resets (forgetting xsetroot's colour) when its last client disconnects.
  const xvfb = spawnProcess('Xvfb', [display, '-screen', '0', `${size}x24`, '-nolisten', 'tcp', '-noreset']);
  const deadline = Date.now() + 20_000;
  while (!existsSync(`/tmp/.X11-unix/X${n}`)) {
    if (Date.now() > deadline || xvfb.child.exitCode !== null) throw new Error(`Xvfb ${display} did not start: ${xvfb.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  execFileSync('xsetroot', ['-solid', colour], { env: { ...process.env, DISPLAY: display } });
  return { display, process: xvfb };
}
