/**
 * The Node options our worker threads start with: this process's own, without tsx's `--import`.
 * Each thread's entry is plain JavaScript that loads the compiled build (dist/) when it is current and
 * registers tsx itself only when it must load TypeScript, so that a thread running compiled code
 * never pays for tsx's loader hooks (every import would cross to the hooks' thread and back).
 */
export function threadExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i] ?? '';
    if (/^--import=tsx(\/|$)/.test(option)) continue;
    if (option === '--import' && /^tsx(\/|$)/.test(execArgv[i + 1] ?? '')) {
      i += 1;
      continue;
    }
    kept.push(option);
  }
  return kept;
}
