// crossdial benchmarks: the js-libp2p side of the whole-process workloads (bench/run drives it).
//
// Stock js-libp2p (TCP, Noise, yamux) with the same workloads as crossdial's io.crossdial.bench.Driver.
// @libp2p/perf is not available from the registry here, so /perf/1.0.0 (libp2p/specs perf/perf.md: 8-byte
// big-endian download size, upload until EOF, then the download) is implemented below on stock streams.
// One JSON line per result on stdout; diagnostics on stderr.
//
//   node bench.mjs serve [--port P]                       listen; "heap" on stdin prints heap after gc()
//   node bench.mjs perf MA --upload B --download B [--streams N] [--warmup B [--warmup-seconds S] [--sync]]
//   node bench.mjs upgrades MA --seconds S [--warmup W [--sync]] [--concurrency C]
//   node bench.mjs latency MA --count N
//   node bench.mjs hold MA --connections N [--parallel P] (run node with --expose-gc)

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

const { parseArgs } = await import('node:util')
const { randomBytes } = await import('node:crypto')
const { setMaxListeners } = await import('node:events')

const PERF = '/perf/1.0.0'
const PING = '/ipfs/ping/1.0.0'
const CHUNK = 64 * 1024
const STREAM_OPTS = { maxInboundStreams: 1024, maxOutboundStreams: 1024, runOnLimitedConnection: true }

// one line on stdin (the Runner's go-ahead after a warm-up), at most 60 s
async function awaitLine () {
  const readline = await import('node:readline')
  const rl = readline.createInterface({ input: process.stdin })
  await Promise.race([new Promise(resolve => rl.once('line', resolve)), sleep(60000)])
  rl.close()
}

function emit (obj) { process.stdout.write(JSON.stringify(obj) + '\n') }
const node = () => `node ${process.version}`

async function createNode (listen) {
  const { createLibp2p } = await import('libp2p')
  const { tcp } = await import('@libp2p/tcp')
  const { noise } = await import('@chainsafe/libp2p-noise')
  const { yamux } = await import('@chainsafe/libp2p-yamux')
  const { ping } = await import('@libp2p/ping')
  return createLibp2p({
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: 100000,
      maxIncomingPendingConnections: 100000,
      inboundConnectionThreshold: 1000000,
      maxParallelDials: 1000,
      maxDialQueueLength: 100000
    },
    services: { ping: ping({ maxInboundStreams: 1024, maxOutboundStreams: 1024 }) }
  })
}

/** Sends `n` zero bytes in 64 KiB chunks honouring backpressure. */
async function sendZeros (stream, n) {
  const chunk = new Uint8Array(CHUNK)
  for (let left = n; left > 0;) {
    const k = Math.min(CHUNK, left)
    left -= k
    if (!stream.send(k === CHUNK ? chunk : chunk.subarray(0, k))) await stream.onDrain()
  }
}

function bytesOf (chunk) { return chunk instanceof Uint8Array ? chunk : chunk.subarray() }

async function perfHandler (stream) {
  try {
    let header = new Uint8Array(0)
    let download = null
    for await (const c of stream) {
      if (download == null) {
        const b = bytesOf(c)
        const h = new Uint8Array(header.length + b.length); h.set(header); h.set(b, header.length); header = h
        if (header.length >= 8) download = new DataView(header.buffer, header.byteOffset, 8).getBigUint64(0)
      }
    }
    await sendZeros(stream, Number(download ?? 0n))
    await stream.close()
  } catch (err) {
    stream.abort(err)
  }
}

async function perfOnce (conn, upload, download) {
  const stream = await conn.newStream(PERF, STREAM_OPTS)
  const header = new Uint8Array(8)
  new DataView(header.buffer).setBigUint64(0, BigInt(download))
  let got = 0
  const reading = (async () => { for await (const c of stream) got += c.byteLength })()
  stream.send(header)
  await sendZeros(stream, upload)
  await stream.close()
  await reading
  if (got !== download) throw new Error(`perf: downloaded ${got} of ${download}`)
  return upload + got
}

async function pingOnce (conn) {
  const stream = await conn.newStream(PING, STREAM_OPTS)
  const data = randomBytes(32)
  const t0 = process.hrtime.bigint()
  stream.send(data)
  let got = 0
  for await (const c of stream) {
    got += c.byteLength
    if (got >= 32) break
  }
  const rtt = Number(process.hrtime.bigint() - t0) / 1e6
  await stream.close().catch(() => {})
  if (got < 32) throw new Error('ping: short answer')
  return rtt
}

async function dialPingClose (n, ma) {
  const t0 = process.hrtime.bigint()
  const conn = await n.dial(ma, { force: true })
  try {
    await pingOnce(conn)
    return Number(process.hrtime.bigint() - t0) / 1e6
  } finally {
    await conn.close().catch(() => {})
  }
}

async function heapUsed () {
  for (let i = 0; i < 4; i++) { global.gc?.(); await new Promise(resolve => setTimeout(resolve, 100)) }
  const m = process.memoryUsage()
  return { heapUsedBytes: m.heapUsed, externalBytes: m.external, rssBytes: m.rss }
}

function cpuNanos () { const u = process.cpuUsage(); return (u.user + u.system) * 1000 }

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function main () {
  const { values: o, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      upload: { type: 'string' },
      download: { type: 'string' },
      streams: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      sync: { type: 'boolean' },
      'warmup-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      count: { type: 'string' },
      connections: { type: 'string' },
      parallel: { type: 'string' }
    }
  })
  const [command, target] = positionals
  const { multiaddr } = await import('@multiformats/multiaddr')

  if (command === 'serve') {
    const n = await createNode([`/ip4/127.0.0.1/tcp/${o.port ?? 0}`])
    await n.handle(PERF, perfHandler, STREAM_OPTS)
    emit({ event: 'listening', multiaddr: n.getMultiaddrs()[0].toString(), jvm: node() })
    const readline = await import('node:readline')
    const rl = readline.createInterface({ input: process.stdin })
    rl.on('line', async line => {
      if (line.trim() === 'cpu') emit({ event: 'cpu', cpuNanos: cpuNanos() })
      if (line.trim() === 'heap') emit({ event: 'heap', ...(await heapUsed()), connections: n.getConnections().length })
    })
    rl.on('close', () => { setTimeout(() => process.exit(0), 500).unref(); n.stop().finally(() => process.exit(0)) })
    return
  }

  const ma = multiaddr(target)
  // js-libp2p joins concurrent dials to one peer into one connection: every concurrent dialer gets a node
  const n = await createNode([])
  const extraNodes = []
  const nodes = async k => {
    while (extraNodes.length < k - 1) extraNodes.push(await createNode([]))
    return [n, ...extraNodes]
  }
  if (command === 'perf') {
    const upload = Number(o.upload ?? 2 ** 30)
    const download = Number(o.download ?? 2 ** 30)
    const streams = Number(o.streams ?? 1)
    const warmup = Number(o.warmup ?? 0)
    const conn = await n.dial(ma)
    const transfer = async (up, down) => {
      const t0 = process.hrtime.bigint()
      const totals = await Promise.all(Array.from({ length: streams }, () => perfOnce(conn, up, down)))
      return { bytes: totals.reduce((a, b) => a + b, 0), seconds: Number(process.hrtime.bigint() - t0) / 1e9 }
    }
    if (warmup > 0) {
      // the same workload, smaller, on the same connection: JIT warm-up, not counted
      // repeated for at least --warmup-seconds; the first round's rate is the cold figure
      const t0 = process.hrtime.bigint()
      const w = await transfer(warmup, warmup)
      let rounds = 1
      while (Number(process.hrtime.bigint() - t0) / 1e9 < Number(o['warmup-seconds'] ?? 0)) {
        await transfer(warmup, warmup)
        rounds++
      }
      emit({ event: 'warmed', bytes: w.bytes, seconds: w.seconds, gbitPerSecond: w.bytes * 8 / w.seconds / 1e9, rounds })
      if (o.sync) await awaitLine()
    }
    const cpu0 = cpuNanos()
    const { bytes, seconds } = await transfer(upload, download)
    emit({ event: 'perf', streams, bytes, seconds, gbitPerSecond: bytes * 8 / seconds / 1e9, cpuNanos: cpuNanos() - cpu0, jvm: node() })
  } else if (command === 'upgrades') {
    const seconds = Number(o.seconds ?? 10)
    const warmup = Number(o.warmup ?? 2)
    const concurrency = Number(o.concurrency ?? 16)
    let count = 0; let failures = 0; let counting = false; let stop = false
    const errors = []
    const dialers = await nodes(concurrency)
    const worker = async (_, k) => {
      while (!stop) {
        try {
          await dialPingClose(dialers[k], ma)
          if (counting && !stop) count++
        } catch (err) {
          failures++
          if (errors.length < 3) errors.push(String(err?.message ?? err))
        }
      }
    }
    const workers = Array.from({ length: concurrency }, worker)
    await sleep(warmup * 1000)
    if (o.sync) {
      emit({ event: 'warmed', upgrades: count })
      await awaitLine()
    }
    counting = true
    const cpu0 = cpuNanos()
    const t0 = process.hrtime.bigint()
    await sleep(seconds * 1000)
    const done = count
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9
    const cpu = cpuNanos() - cpu0
    stop = true
    await Promise.race([Promise.all(workers), sleep(10000)])
    emit({ event: 'upgrades', upgrades: done, seconds: elapsed, perSecond: done / elapsed, concurrency, failures, errors: errors.join(' | '), cpuNanos: cpu, jvm: node() })
  } else if (command === 'latency') {
    const count = Number(o.count ?? 50)
    const first = await dialPingClose(n, ma)
    const ms = []
    for (let i = 0; i < count; i++) ms.push(await dialPingClose(n, ma))
    ms.sort((a, b) => a - b)
    emit({ event: 'latency', firstMillis: first, count, medianMillis: ms[Math.floor(count / 2)], p90Millis: ms[Math.floor(count * 0.9)], minMillis: ms[0], jvm: node() })
  } else if (command === 'hold') {
    const total = Number(o.connections ?? 10000)
    const parallel = Number(o.parallel ?? 16)
    const dialers = await nodes(parallel)
    for (const d of dialers) await dialPingClose(d, ma)
    const before = await heapUsed()
    const held = []
    let failures = 0
    const t0 = process.hrtime.bigint()
    let next = 0
    const signal = AbortSignal.timeout(600000)
    setMaxListeners(Infinity, signal)
    await Promise.all(Array.from({ length: parallel }, async (_, k) => {
      while (next < total) {
        next++
        try { held.push(await dialers[k].dial(ma, { force: true, signal })) } catch (err) {
          failures++
          if (failures < 3) process.stderr.write(`hold: ${err}\n`)
        }
      }
    }))
    const openSeconds = Number(process.hrtime.bigint() - t0) / 1e9
    const after = await heapUsed()
    const open = held.filter(c => c.status === 'open').length
    const perConn = (after.heapUsedBytes + after.externalBytes - before.heapUsedBytes - before.externalBytes) / Math.max(open, 1)
    emit({ event: 'held', connections: open, failures, openSeconds, heapBeforeBytes: before.heapUsedBytes, heapAfterBytes: after.heapUsedBytes, externalBeforeBytes: before.externalBytes, externalAfterBytes: after.externalBytes, heapPerConnectionBytes: perConn, jvm: node() })
    process.stdin.resume()
    await new Promise(resolve => process.stdin.on('end', resolve))
  } else {
    throw new Error(`unknown command ${command}`)
  }
  await Promise.race([Promise.all([n, ...extraNodes].map(x => x.stop().catch(() => {}))), sleep(2000)])
  process.exit(0)
}

try {
  await main()
} catch (err) {
  emit({ event: 'error', error: String(err?.stack ?? err) })
  process.exit(2)
}
