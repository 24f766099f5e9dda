// Onboarding a second provider (//Dave) on the running dev chain with scripts/onboard-provider.mjs:
// a first run stops with a clear message at the step that cannot be done, a second picks up
// there and ends with a test job answered by the node, a third finds everything done.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blake2AsHex } from '@polkadot/util-crypto';
import { connect, devAccount, sendAndFinalize, DEFAULT_WS, undo } from '../lib/chain.mjs';
import { runProgram } from '../lib/process.mjs';

const SCRIPT = fileURLToPath(new URL('../onboard-provider.mjs', import.meta.url));
const MODEL = process.env.MOSAIC_TINY_MODEL;
const dave = devAccount('//Dave');

async function onboard(env, file = MODEL, extra = []) {
  const r = await runProgram(process.execPath, [SCRIPT, file, '--url', DEFAULT_WS, '--bond', '200000MOS', ...extra], {
    env: { ...process.env, ...env }, timeout: 600_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

let api;
before(async () => { api = await connect(); });
after(async () => {
  // Leave Alice the only active provider of the tiny model for the tests that follow.
  if ((await api.query.providers.providers(dave.address)).isSome) {
    await undo('Dave pauses', sendAndFinalize(api, api.tx.providers.pause(), dave));
  }
  await api?.disconnect();
});

test('a provider is onboarded in one script, resumable after a failure', async () => {
  assert.ok(MODEL, 'MOSAIC_TINY_MODEL is set');
  const operator = devAccount('//Dave//operator');

  const first = await onboard({ MOSAIC_SURI: '//Dave', MOSAIC_OPERATOR_SURI: '' });
  assert.equal(first.status, 1);
  assert.match(first.out, /\[1\/7\] model file: 0x[0-9a-f]{64} \(.*\): llama, 0\.2 M parameters, Q8_0, context 256, chat template/);
  assert.match(first.out, /\[2\/7\] model registered: already, as model 0/);
  assert.match(first.out, /\[3\/7\] the node's engine: 0x[0-9a-f]{64}/);
  assert.match(first.err, /\[4\/7\] provider registered: FAILED — set MOSAIC_OPERATOR_SURI/);
  assert.ok((await api.query.providers.providers(dave.address)).isNone, 'nothing half-done');

  const second = await onboard({ MOSAIC_SURI: '//Dave', MOSAIC_OPERATOR_SURI: '//Dave//operator' });
  assert.equal(second.status, 0, second.err);
  assert.match(second.out, /\[4\/7\] provider registered: registered: bond 200000\.0+ MOS/);
  assert.match(second.out, /\[5\/7\] serving the model: now serving model 0/);
  assert.match(second.out, /\[6\/7\] operator key in the keystore: inserted 0x/);
  assert.match(second.out, /\[7\/7\] a test job answered by this node: job \d+ answered and settled/);
  const p = (await api.query.providers.providers(dave.address)).unwrap();
  assert.equal(p.operator.toString(), operator.address);
  assert.equal(p.reputation.completed.toNumber(), 1);
  assert.equal(p.profile.engine.toHex(), (await api.rpc.mosaic.engine()).toJSON().engine);

  const third = await onboard({ MOSAIC_SURI: '//Dave', MOSAIC_OPERATOR_SURI: '//Dave//operator' });
  assert.equal(third.status, 0, third.err);
  for (const n of [2, 4, 5, 6, 7]) assert.match(third.out, new RegExp(`\\[${n}/7\\] [^:]+: already`));
});

test('a file that does not exist stops the first step', async () => {
  const r = await runProgram(process.execPath, [SCRIPT, '/nonexistent/model.gguf', '--url', DEFAULT_WS], {
    env: { ...process.env, MOSAIC_SURI: '//Eve' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\[1\/7\] model file: FAILED — ENOENT/);
});

test('a flag that contradicts the GGUF header stops onboarding before anything is registered', async () => {
  const r = await onboard({ MOSAIC_SURI: '//Eve' }, MODEL, ['--file-type', 'Q4_0']);
  assert.equal(r.status, 1);
  assert.match(r.err, /\[1\/7\] model file: FAILED — --file-type Q4_0, but the GGUF header says Q8_0: nothing registered/);
});

test('a truncated file is refused at the first step', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mosaic-onboard-'));
  const cut = join(dir, 'cut.gguf');
  const bytes = readFileSync(MODEL);
  writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
  const r = await onboard({ MOSAIC_SURI: '//Eve' }, cut);
  assert.equal(r.status, 1);
  assert.match(r.err, /\[1\/7\] model file: FAILED — .*is not a model llama\.cpp can load/);
});

test('a registration that disagrees with the file\'s header is not served', async () => {
  // The same tiny model with another seed: a new file, registered by Eve with a 32k context
  // its header does not have.
  const dir = mkdtempSync(join(tmpdir(), 'mosaic-onboard-'));
  const file = join(dir, 'tiny-seed7.gguf');
  const gen = await runProgram(process.env.MOSAIC_PYTHON, [fileURLToPath(new URL('../model/gen_llama_gguf.py', import.meta.url)), file, '--size', 'tiny', '--seed', '7']);
  assert.equal(gen.status, 0, gen.stderr);
  const hash = blake2AsHex(readFileSync(file), 256);
  const eve = devAccount('//Eve');
  const spec = { architecture: 'llama', parameters: 224_064, fileType: 'Q8_0', contextLength: 32_768, chatTemplate: null };
  await sendAndFinalize(api, api.tx.models.registerModel('liar', hash, readFileSync(file).length, spec, 0), eve);
  const r = await onboard({ MOSAIC_SURI: '//Eve' }, file);
  assert.equal(r.status, 1);
  assert.match(r.err, /\[2\/7\] model registered: FAILED — model \d+ is registered with context 32768 \(the file has 256\), chat template none \(the file has 0x[0-9a-f]{64}\): its registration disagrees with the file's header; not serving it/);
  assert.ok((await api.query.providers.providers(eve.address)).isNone, 'Eve did not become a provider');
});
