// Onboards the two provider nodes with scripts/onboard-provider.mjs, as a provider would: the
// provider account (//Eve//stash, //Ferdie//stash) bonds and registers with its node's engine
// fingerprint, serves the tiny model (model 0 of the local genesis) and proves it with a paid
// test job answered by its own node; the operator key (//Eve, //Ferdie) is in each node's
// keystore already (network.toml). Checks both serve model 0 with different engines.
const path = require('node:path');
const { ROOT, connectTo, PROVIDERS } = require('./common.js');

async function run(nodeName, networkInfo) {
  const model = path.basename(process.env.MOSAIC_TINY_MODEL);
  const api = await connectTo(networkInfo, nodeName);
  const { devAccount, sendAndInclude } = await import(path.join(ROOT, 'scripts/lib/chain.mjs'));
  const { runProgram } = await import(path.join(ROOT, 'scripts/lib/process.mjs'));
  try {
    // Onboarding ends with a test job that must be drawn for the new provider: the providers
    // onboarded before it pause meanwhile (providers.pause), as an operator would.
    const done = [];
    for (const [node, suri] of Object.entries(PROVIDERS)) {
      for (const d of done) await sendAndInclude(api, api.tx.providers.pause(), devAccount(d));
      const file = path.join(process.env.MOSAIC_NETWORK_DIR, `models-${node}`, model);
      const r = await runProgram(process.execPath, [path.join(ROOT, 'scripts/onboard-provider.mjs'), file, '--url', networkInfo.nodesByName[node].wsUri, '--bond', '2000MOS'], {
        env: { ...process.env, MOSAIC_SURI: suri, MOSAIC_OPERATOR_SURI: suri.replace('//stash', '') },
        inherit: true,
        timeout: 360_000,
      });
      if (r.status !== 0) throw new Error(`onboarding ${suri} on ${node} failed (exit ${r.status}${r.error ? `: ${r.error.message}` : ''})`);
      for (const d of done) await sendAndInclude(api, api.tx.providers.resume(), devAccount(d));
      done.push(suri);
    }
    const engines = new Set();
    for (const suri of Object.values(PROVIDERS)) {
      const who = devAccount(suri).address;
      // Its slot in model 0's draw index.
      if ((await api.query.providers.slotOf(0, who)).isNone) throw new Error(`${suri} does not serve model 0`);
      engines.add((await api.query.providers.providers(who)).unwrap().profile.engine.toHex());
    }
    if (engines.size !== 2) throw new Error('the provider nodes run different engine settings, so their fingerprints differ');
    return (await api.query.providers.slotCount(0)).toNumber();
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
