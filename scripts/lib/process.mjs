// Running another program from a script that holds a chain connection.
//
// A synchronous child (spawnSync, execFileSync) stops this process's event loop until it ends.
// @polkadot/api reads no answer meanwhile, and when the loop turns again its 60-second request
// timer runs before the answers queued in the socket are read: a request in flight when the child
// started (the runtime-version subscription sent right after connecting, say) fails with "No
// response received from RPC endpoint in 60s", an uncaught exception (CI, 2026-12-01, a network
// test onboarding a provider for 65 s). Children started with `spawn` (a gateway) are not read
// either, and stop once their output pipe is full. So our scripts run children with `runProgram`;
// scripts/test.sh refuses the synchronous calls anywhere in scripts/ and zombienet/tests/.
import { spawn } from 'node:child_process';

/**
 * Runs `bin` with `args` to its end without blocking, and resolves what spawnSync would return:
 * `{ status, signal, stdout, stderr, error }` — `status` null when it could not start or was
 * killed after `timeout` ms (`error` then says which). `inherit: true` passes its output through
 * to ours instead of collecting it.
 */
export function runProgram(bin, args, { env = process.env, timeout = 0, inherit = false } = {}) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let error;
    let timer;
    let ended = false;
    const end = (status, signal) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, error });
    };
    const child = spawn(bin, args, { env, stdio: inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'] });
    child.stdout?.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr?.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('error', (e) => {
      error = e;
      // A program that could not start emits no 'close' of its own.
      if (child.pid === undefined) end(null, null);
    });
    child.on('close', end);
    if (timeout > 0) {
      timer = setTimeout(() => {
        error = new Error(`${bin} did not end within ${timeout / 1000} s, so it was killed`);
        child.kill('SIGKILL');
      }, timeout);
    }
  });
}
