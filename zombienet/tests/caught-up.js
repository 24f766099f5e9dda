// This node has caught up: its best block is within two of alice's, and it finalises.
const { connectTo, until, best, finalized } = require('./common.js');

async function run(nodeName, networkInfo) {
  const me = await connectTo(networkInfo, nodeName);
  const alice = await connectTo(networkInfo, 'alice');
  try {
    return await until(me, `${nodeName} to reach alice's tip`, async () => {
      const [mine, hers] = [await best(me), await best(alice)];
      return mine >= hers - 2 && (await finalized(me)) >= (await finalized(alice)) - 3 ? mine : null;
    }, 170_000);
  } finally {
    await me.disconnect();
    await alice.disconnect();
  }
}

module.exports = { run };
