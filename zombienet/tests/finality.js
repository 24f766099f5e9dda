// Finality advances by at least `args[0]` blocks on this node (run while a validator is down:
// three of four still make more than two thirds).
const { connectTo, until, finalized } = require('./common.js');

async function run(nodeName, networkInfo, args) {
  const by = Number(args[0] ?? 3);
  const api = await connectTo(networkInfo, nodeName);
  try {
    const start = await finalized(api);
    return await until(api, `finality past #${start + by}`, async () => {
      const now = await finalized(api);
      return now >= start + by ? now : null;
    }, 110_000);
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
