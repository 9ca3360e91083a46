// js-libp2p participant of the libp2p test-plans transport-interop test (test-plans
// transport-interop/README.md), the foreign peer of interop-tests/test-plans/run-matrix.
//
// Configured only by the environment: transport (tcp), security (noise|tls), muxer (yamux|mplex),
// is_dialer (true|false), ip (default 0.0.0.0), redis_addr (default redis:6379), test_timeout_seconds
// (or test_timeout_secs, default 180).
// Listener: RPUSHes its address with /p2p/ to the Redis list listenerAddr, serves ping until the timeout,
// then exits 1. Dialer: BLPOPs listenerAddr, dials, pings, prints
// {"handshakePlusOneRTTMillis":F,"pingRTTMilllis":F} on stdout and exits 0. Logs go to stderr.

// Node 20 lacks Promise.withResolvers (ES2024), which js-libp2p 3 uses (see peer.mjs).
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers () {
      let resolve
      let reject
      const promise = new this((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}

function env (name, dflt) {
  const v = process.env[name] ?? process.env[name.toUpperCase()]
  if (v == null || v.trim() === '') {
    if (dflt === undefined) throw new Error(`the environment variable '${name}' is required`)
    return dflt
  }
  return v.trim()
}

function log (msg) {
  process.stderr.write(`test-plans js: ${msg}\n`)
}

async function main () {
  const transport = env('transport')
  if (transport !== 'tcp') throw new Error(`transport=${transport} is not supported here`)
  const security = env('security')
  const muxer = env('muxer')
  const isDialer = env('is_dialer') === 'true'
  const ip = env('ip', '0.0.0.0')
  const redisAddr = env('redis_addr', 'redis:6379')
  const timeoutSeconds = Number(env('test_timeout_seconds', env('test_timeout_secs', '180')))
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) throw new Error(`bad test_timeout_seconds: ${timeoutSeconds}`)

  const { createClient } = await import('redis')
  const { createLibp2p } = await import('libp2p')
  const { tcp } = await import('@libp2p/tcp')
  const { ping } = await import('@libp2p/ping')
  const { identify } = await import('@libp2p/identify')
  const { multiaddr } = await import('@multiformats/multiaddr')

  let encrypter
  if (security === 'noise') encrypter = (await import('@chainsafe/libp2p-noise')).noise()
  else if (security === 'tls') encrypter = (await import('@libp2p/tls')).tls()
  else throw new Error(`unsupported security ${security}`)
  let streamMuxer
  if (muxer === 'yamux') streamMuxer = (await import('@chainsafe/libp2p-yamux')).yamux()
  else if (muxer === 'mplex') streamMuxer = (await import('@libp2p/mplex')).mplex()
  else throw new Error(`unsupported muxer ${muxer}`)

  const redis = createClient({ url: `redis://${redisAddr}` })
  redis.on('error', err => log(`redis: ${err.message}`))
  await redis.connect()

  const node = await createLibp2p({
    addresses: { listen: isDialer ? [] : [`/${ip.includes(':') ? 'ip6' : 'ip4'}/${ip}/tcp/0`] },
    transports: [tcp()],
    connectionEncrypters: [encrypter],
    streamMuxers: [streamMuxer],
    connectionMonitor: { enabled: false },
    services: { ping: ping(), identify: identify() }
  })

  if (!isDialer) {
    const addrs = node.getMultiaddrs().map(a => a.toString())
    const addr = addrs.find(a => !a.startsWith('/ip4/127.') && !a.startsWith('/ip6/::1/')) ?? addrs[0]
    if (addr == null) throw new Error('no listen address')
    await redis.rPush('listenerAddr', addr)
    log(`listening on ${addr} (${security}, ${muxer}), pushed to listenerAddr`)
    const stop = async () => { await node.stop(); process.exit(0) }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
    await new Promise(resolve => setTimeout(resolve, timeoutSeconds * 1000))
    log(`no end after test_timeout_seconds=${timeoutSeconds}`)
    process.exit(1)
  }

  const popped = await redis.blPop('listenerAddr', timeoutSeconds)
  if (popped == null) throw new Error(`no listener address within ${timeoutSeconds} s`)
  const target = multiaddr(popped.element)
  log(`dialing ${target} (${security}, ${muxer})`)
  const start = performance.now()
  const signal = AbortSignal.timeout(timeoutSeconds * 1000)
  await node.dial(target, { signal })
  const pingRtt = await node.services.ping.ping(target, { signal })
  const total = performance.now() - start
  process.stdout.write(JSON.stringify({ handshakePlusOneRTTMillis: total, pingRTTMilllis: pingRtt }) + '\n')
  await redis.quit()
  await node.stop()
  process.exit(0)
}

main().catch(err => {
  log(`error: ${err?.stack ?? err}`)
  process.exit(1)
})
