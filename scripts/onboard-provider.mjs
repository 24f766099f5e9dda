#!/usr/bin/env node
// Onboards a provider in one go, reporting each step and stopping at the first that fails;
// run it again after fixing what it said, and it picks up where it stopped (every step first
// checks whether it is already done).
//
//   MOSAIC_SURI="<provider account mnemonic>" MOSAIC_OPERATOR_SURI="<operator key mnemonic>" \
//     node scripts/onboard-provider.mjs MODEL.gguf [--url ws://127.0.0.1:9944]
//       [--bond AMOUNT] [--ask AMOUNT] [--name NAME] [--royalty BPS]
//       [--tokens-per-second N] [--max-output N] [--file-type Q4_1] [--context N]
//
// The model's registration (architecture, parameters, file type, trained context, chat
// template) is read from the file's GGUF header with `mosaic-node inspect-model` (the binary
// at $MOSAIC_NODE, else `mosaic-node` on the PATH). --file-type and --context only confirm
// it: one that disagrees with the header stops the script before anything is registered, and
// so does a model already registered under this hash whose record disagrees with the file.
//
// Serving terms: the provider declares, for the model, the context its node's engine runs
// (the node's --inference-context), the largest output (--max-output, default half of that)
// and its decode speed (--tokens-per-second, default 20: declare what the node sustains under
// load, not its best; the chain gives each job max_tokens ÷ speed plus a margin).
//
// The node at --url must be the provider's own node, started with --models-dir (holding the
// GGUF file) and serving RPC locally (author_insertKey is an unsafe method). MOSAIC_SURI is a
// funded account (it pays the bond and the test job); MOSAIC_OPERATOR_SURI is the operator
// key, which the script puts in the node's keystore. Make one with
// `mosaic-node key generate --scheme sr25519`. Keys come from the environment only.
import { runProgram } from './lib/process.mjs';
import { statSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname } from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { connect, DEFAULT_WS, keyFromEnv, sendAndFinalize, sendAndInclude as send } from './lib/chain.mjs';
import { followJob } from './lib/jobs.mjs';
import { fmt, MOS, parseAmount as amount } from './lib/units.mjs';
import { allModels } from './lib/rpc.mjs';

function parse(argv) {
  const o = { url: DEFAULT_WS, bond: 1_000n * MOS, ask: MOS / 1_000_000n, fileType: null, context: null, royalty: 0, speed: 20, maxOutput: null, file: null };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const v = () => { i += 1; if (i >= argv.length) throw new Error(`${a} needs a value`); return argv[i]; };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--url') o.url = v();
    else if (a === '--bond') o.bond = amount(v());
    else if (a === '--ask') o.ask = amount(v());
    else if (a === '--name') o.name = v();
    else if (a === '--file-type' || a === '--quantization') o.fileType = v();
    else if (a === '--context') o.context = Number(v());
    else if (a === '--royalty') o.royalty = Number(v());
    else if (a === '--tokens-per-second') o.speed = Number(v());
    else if (a === '--max-output') o.maxOutput = Number(v());
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.file = a;
  }
  if (!o.file && !o.help) throw new Error('usage: onboard-provider.mjs MODEL.gguf [--url …] [--bond …] [--ask …] (--help for all options)');
  return o;
}

/**
 * What `mosaic-node inspect-model` reads from the file: `{ contentHash, sizeBytes, name, spec }`
 * (spec as `models.registerModel` takes it). Throws with the tool's own message on a file
 * llama.cpp refuses (truncated, not GGUF).
 */
async function inspectModel(path) {
  const bin = process.env.MOSAIC_NODE || 'mosaic-node';
  const r = await runProgram(bin, ['inspect-model', path]);
  if (r.error) throw new Error(`cannot run ${bin} (set MOSAIC_NODE to the mosaic-node binary): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${path} is not a model llama.cpp can load: ${(r.stderr || '').trim().split('\n').pop()}`);
  return JSON.parse(r.stdout);
}

/** Where `registered` (a model record, as JSON) disagrees with the file's header, in words. */
function disagreements(registered, header) {
  const out = [];
  const spec = header.spec;
  if (registered.fileType !== spec.fileType) out.push(`file type ${registered.fileType} (the file is ${spec.fileType})`);
  if (registered.contextLength !== spec.contextLength) out.push(`context ${registered.contextLength} (the file has ${spec.contextLength})`);
  if (BigInt(registered.parameters) !== BigInt(spec.parameters)) out.push(`${registered.parameters} parameters (the file has ${spec.parameters})`);
  if ((registered.chatTemplate ?? null) !== (spec.chatTemplate ?? null)) out.push(`chat template ${registered.chatTemplate ?? 'none'} (the file has ${spec.chatTemplate ?? 'none'})`);
  if (BigInt(registered.sizeBytes) !== BigInt(header.sizeBytes)) out.push(`size ${registered.sizeBytes} (the file has ${header.sizeBytes})`);
  return out;
}

const STEPS = 7;
let step = 0;
const report = (what, result) => console.log(`[${step}/${STEPS}] ${what}: ${result}`);
async function run(what, fn) {
  step += 1;
  try {
    report(what, await fn());
  } catch (e) {
    console.error(`[${step}/${STEPS}] ${what}: FAILED — ${e.message}`);
    throw Object.assign(e, { reported: true });
  }
}

const HELP = `usage: MOSAIC_SURI=… MOSAIC_OPERATOR_SURI=… node scripts/onboard-provider.mjs MODEL.gguf [options]

Onboards a provider step by step (model file, model registered, the node's engine, provider
registered, serving the model, operator key in the keystore, a test job); a second run picks
up where the first stopped.

  --url ws://…              the provider's own node (default MOSAIC_WS or ws://127.0.0.1:9944)
  --bond AMOUNT             (default 1000MOS)      --ask AMOUNT   per token (default 0.000001MOS)
  --name NAME               registered name (default: the file name)
  --royalty BPS             the creator's royalty when registering (default 0)
  --tokens-per-second N     declared decode speed (default 20)
  --max-output N            declared largest output (default half the node's context)
  --file-type T, --context N  confirm the GGUF header (refused when they disagree)

MOSAIC_SURI: the funded provider account. MOSAIC_OPERATOR_SURI: the operator key
(mosaic-node key generate --scheme sr25519). AMOUNT: planck, or MOS with its unit.`;

async function main() {
  const o = parse(process.argv.slice(2));
  if (o.help) {
    console.log(HELP);
    return;
  }
  const account = await keyFromEnv('MOSAIC_SURI');
  if (!account) throw new Error('set MOSAIC_SURI to the funded provider account (dev URI or mnemonic)');
  const api = await connect(o.url);
  try {
    let hash;
    let header;
    let modelId;
    let engine;
    let operator;

    await run('model file', async () => {
      statSync(o.file);
      header = await inspectModel(o.file);
      hash = header.contentHash;
      const { spec } = header;
      if (o.fileType && o.fileType !== spec.fileType) throw new Error(`--file-type ${o.fileType}, but the GGUF header says ${spec.fileType}: nothing registered`);
      if (o.context && o.context !== spec.contextLength) throw new Error(`--context ${o.context}, but the GGUF header says ${spec.contextLength}: nothing registered`);
      return `${hash} (${basename(o.file)}, ${(header.sizeBytes / 1e6).toFixed(1)} MB): ${spec.architecture}, ${(spec.parameters / 1e6).toFixed(1)} M parameters, ${spec.fileType}, context ${spec.contextLength}, ${spec.chatTemplate ? 'chat template' : 'no chat template (raw prompts only)'}`;
    });

    await run('model registered', async () => {
      const models = await allModels(api);
      const found = models.find((m) => m.contentHash === hash);
      if (found) {
        if (found.deprecated) throw new Error(`model ${found.id} with this hash is deprecated: it takes no new jobs`);
        const wrong = disagreements(found, header);
        if (wrong.length) throw new Error(`model ${found.id} is registered with ${wrong.join(', ')}: its registration disagrees with the file's header; not serving it`);
        modelId = found.id;
        return `already, as model ${modelId}`;
      }
      const name = o.name ?? basename(o.file).replace(/\.gguf$/i, '');
      const { events } = await send(api, api.tx.models.registerModel(name, hash, header.sizeBytes, header.spec, o.royalty), account);
      modelId = events.find(({ event }) => api.events.models.ModelRegistered.is(event)).event.data.model.toNumber();
      return `registered as model ${modelId} (${name}, ${header.spec.fileType}, context ${header.spec.contextLength}, royalty ${o.royalty} bps)`;
    });

    await run("the node's engine", async () => {
      engine = (await api.rpc.mosaic.engine()).toJSON();
      // The node tells its models directory only to callers allowed unsafe RPC methods.
      if (!engine.modelsDir) return `${engine.engine} (the node does not say where its models directory is: check that ${o.file} is in it)`;
      const dir = realpathSync(engine.modelsDir);
      const inDir = realpathSync(dirname(o.file)) === dir;
      return `${engine.engine}${inDir ? '' : ` (warning: ${o.file} is not in the node's models directory ${dir}; copy it there)`}`;
    });

    await run('provider registered', async () => {
      operator = await keyFromEnv('MOSAIC_OPERATOR_SURI');
      if (!operator) throw new Error('set MOSAIC_OPERATOR_SURI to the operator key (make one: mosaic-node key generate --scheme sr25519)');
      const existing = await api.query.providers.providers(account.address);
      const profile = {
        cpuCores: os.cpus().length,
        ramGib: Math.floor(os.totalmem() / 2 ** 30),
        gpu: null,
        maxConcurrentJobs: engine.maxConcurrentJobs,
        engine: engine.engine,
      };
      if (existing.isNone) {
        await send(api, api.tx.providers.registerProvider(profile, o.ask, operator.address, o.bond), account);
        return `registered: bond ${fmt(o.bond)}, ask ${fmt(o.ask)}/token, operator ${operator.address}`;
      }
      const p = existing.unwrap();
      const done = [];
      if (p.profile.engine.toHex() !== engine.engine) {
        await send(api, api.tx.providers.updateProfile(profile, p.ask), account);
        done.push('engine fingerprint updated');
      }
      if (p.operator.toString() !== operator.address) {
        await send(api, api.tx.providers.setOperatorKey(operator.address), account);
        done.push('operator key changed');
      }
      return done.length ? `already; ${done.join(', ')}` : 'already';
    });

    await run('serving the model', async () => {
      const context = engine.context;
      const terms = {
        contextLength: context,
        maxOutputTokens: o.maxOutput ?? Math.floor(context / 2),
        tokensPerSecond: o.speed,
      };
      const current = await api.query.providers.offers(modelId, account.address);
      const same = current.isSome && current.unwrap().contextLength.toNumber() === terms.contextLength
        && current.unwrap().maxOutputTokens.toNumber() === terms.maxOutputTokens
        && current.unwrap().tokensPerSecond.toNumber() === terms.tokensPerSecond;
      if (same) return 'already';
      await send(api, api.tx.providers.serveModel(modelId, terms), account);
      return `now serving model ${modelId}: context ${terms.contextLength}, output up to ${terms.maxOutputTokens} tokens, ${terms.tokensPerSecond} tokens/s`;
    });

    await run('operator key in the keystore', async () => {
      const pub = u8aToHex(operator.publicKey);
      if ((await api.rpc.author.hasKey(pub, 'mosc')).isTrue) return 'already';
      await api.rpc.author.insertKey('mosc', process.env.MOSAIC_OPERATOR_SURI, pub);
      if (!(await api.rpc.author.hasKey(pub, 'mosc')).isTrue) throw new Error('the node did not keep the key');
      return `inserted ${pub}`;
    });

    await run('a test job answered by this node', async () => {
      const p = (await api.query.providers.providers(account.address)).unwrap();
      if (p.reputation.completed.toNumber() > 0) return `already (${p.reputation.completed} jobs completed)`;
      // The chain never draws a job's owner for it, so the test jobs are paid by an account
      // derived from the provider's (SURI//onboarding-test), funded here with what they need.
      const tester = account.derive('//onboarding-test');
      const testJob = () => api.tx.jobs.submitJob(modelId, 'Hello', TEST_TOKENS, p.ask);
      await fundTester(api, account, tester, testJob, modelId, p.ask.toBigInt(), ATTEMPTS);
      for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
        // Final before it is read: on a network a block can be replaced, and with it the draw.
        const { blockHash, events } = await sendAndFinalize(api, testJob(), tester);
        const job = events.find(({ event }) => api.events.jobs.JobSubmitted.is(event)).event.data.job.toBigInt();
        const ours = events.some(({ event }) => api.events.jobs.ProviderAssigned.is(event) && event.data.provider.toString() === account.address);
        const number = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
        const { end, events: jobEvents } = await followJob(api, job, number, { timeoutMs: 180_000 });
        if (!ours) continue; // drawn for another provider: try again
        const answered = jobEvents.some((e) => e.name === 'ResultSubmitted' && e.data.provider.toString() === account.address);
        if (!answered) throw new Error(`job ${job} was assigned to this provider but not answered (${end.name}); see the node's log (target mosaic::worker)`);
        return `job ${job} answered and ${end.name === 'JobSettled' ? 'settled' : end.name}`;
      }
      throw new Error(`${ATTEMPTS} test jobs were drawn for other providers; run again`);
    });
    console.log(`provider ${account.address} is serving model ${modelId}`);
  } finally {
    await api.disconnect().catch(() => {});
  }
}

/** Test jobs tried before onboarding gives up (each drawn among all the model's providers). */
const ATTEMPTS = 8;
/** The test job's max_tokens. */
const TEST_TOKENS = 4;

/**
 * Tops `tester` up from `account` to what `attempts` test jobs of `modelId` at `bid` can cost
 * it: one job's escrow and deposit at a time (the chain's `mosaic_estimate`; refunded as it
 * ends), each one's transaction fee, and the existential deposit; nothing when it holds that.
 */
async function fundTester(api, account, tester, job, modelId, bid, attempts) {
  const fee = (await job().paymentInfo(tester.address)).partialFee.toBigInt();
  const e = (await api.rpc.mosaic.estimate(modelId, TEST_TOKENS, bid.toString())).toJSON();
  const ed = api.consts.balances.existentialDeposit.toBigInt();
  const need = ed + BigInt(e.escrow) + BigInt(e.deposit) + BigInt(attempts) * 2n * fee;
  const free = (await api.query.system.account(tester.address)).data.free.toBigInt();
  if (free < need) await send(api, api.tx.balances.transferKeepAlive(tester.address, need - free), account);
}

try {
  await main();
} catch (e) {
  if (!e.reported) console.error(`error: ${e.message}`);
  process.exitCode = 1;
}
