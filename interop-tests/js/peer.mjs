// crossdial js-libp2p test peer.
//
// A small CLI around stock js-libp2p (TCP, Noise or TLS, yamux or mplex, ping, identify, /echo/1.0.0) that
// the interop tests and humans drive. Machine-readable output only on stdout: one JSON object per line.
// Diagnostics go to stderr. See README.md for the commands and the output lines.

// Node 20 lacks Promise.withResolvers (ES2024), which js-libp2p 3 uses. Install it before any library
// module is evaluated: static imports are hoisted, so every library is loaded below with import().
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

const ECHO_PROTOCOL = '/echo/1.0.0'
const CHUNK_BYTES = 16 * 1024

const USAGE = `usage:
  node peer.mjs listen [--host 127.0.0.1] [--port 0] [--security noise|tls] [--muxer yamux|mplex]
                       [--key-type Ed25519|secp256k1|ECDSA|RSA] [--ignore-stdin]
  node peer.mjs dial <multiaddr> [--local-host H] [--local-port P] [--echo-bytes 1048576]
                       [--streams 16] [--stream-bytes 65536] [--pings 3] [--skip ping,identify,echo,streams]
                       [--security noise|tls] [--muxer yamux|mplex] [--key-type ...] [--timeout-ms 30000]
  node peer.mjs relay  [--host 127.0.0.1] [--port 0] [--security ..] [--muxer ..]
                       a circuit relay v2 server (@libp2p/circuit-relay-v2) that also serves echo
  node peer.mjs listen --relay <relay multiaddr> ...   also reserve on that relay; prints a "reservation" line
  node peer.mjs dial <relay>/p2p-circuit/p2p/<peer> ... dials through the relay (the steps run on the
                       limited relayed connection)
  --dcutr              (listen, dial, relay) also run DCUtR (@libp2p/dcutr)
  --hold-ms N          (dial) stay up N ms after the steps, then report "connectionsAtEnd"
  node peer.mjs serve  [--host 127.0.0.1] [--port 0] [--security ..] [--muxer ..] [--key-type ..]
                       then JSON commands on stdin, one per line: dial, connections, hangup (EOF stops it)
  --security and --muxer accept a comma-separated preference list, e.g. --muxer yamux,mplex`

/** Writes one JSON line to stdout. */
function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

/** Writes one JSON line, waits until stdout took it, then exits. */
function emitAndExit (obj, code) {
  process.stdout.write(JSON.stringify(obj) + '\n', () => process.exit(code))
  // if stdout is gone the callback may never run
  setTimeout(() => process.exit(code), 1000).unref()
}

/** The wall clock in epoch microseconds (comparable with the JVM peers' instants on the same machine). */
function nowUs () {
  return Math.round((performance.timeOrigin + performance.now()) * 1000)
}

function errorText (err) {
  if (err == null) return 'unknown error'
  const name = err.name != null && err.name !== 'Error' ? `${err.name}: ` : ''
  return `${name}${err.message ?? String(err)}`
}

function intOption (values, name, dflt, min = 0) {
  const raw = values[name]
  if (raw == null) return dflt
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < min) {
    throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`)
  }
  return n
}

function listOption (raw, allowed, name) {
  const items = String(raw).split(',').map(s => s.trim()).filter(s => s.length > 0)
  for (const item of items) {
    if (!allowed.includes(item)) throw new Error(`--${name}: unknown value "${item}" (allowed: ${allowed.join(', ')})`)
  }
  if (items.length === 0) throw new Error(`--${name} is empty`)
  return items
}

async function securityFactories (names) {
  const out = []
  for (const name of names) {
    if (name === 'noise') out.push((await import('@chainsafe/libp2p-noise')).noise())
    else if (name === 'tls') out.push((await import('@libp2p/tls')).tls())
  }
  return out
}

async function muxerFactories (names) {
  const out = []
  for (const name of names) {
    if (name === 'yamux') out.push((await import('@chainsafe/libp2p-yamux')).yamux())
    // js mplex closes the whole connection once the remote opens more than `disconnectThreshold` (default 5)
    // streams in one second, which a test run (identify, ping, 16 concurrent echoes) exceeds at once
    else if (name === 'mplex') out.push((await import('@libp2p/mplex')).mplex({ disconnectThreshold: 10000 }))
  }
  return out
}

/** Builds (and starts) a libp2p node from the shared options. */
async function createNode (values, { listen, dialOpts, relayServer = false }) {
  const { createLibp2p } = await import('libp2p')
  const { tcp } = await import('@libp2p/tcp')
  const { ping } = await import('@libp2p/ping')
  const { identify } = await import('@libp2p/identify')
  const { generateKeyPair } = await import('@libp2p/crypto/keys')

  const keyType = values['key-type'] ?? 'Ed25519'
  if (!['Ed25519', 'secp256k1', 'ECDSA', 'RSA'].includes(keyType)) {
    throw new Error(`--key-type: unknown key type "${keyType}"`)
  }
  const privateKey = await generateKeyPair(keyType)
  const { circuitRelayTransport, circuitRelayServer } = await import('@libp2p/circuit-relay-v2')
  const services = {}
  if (values.dcutr) {
    // DCUtR (/libp2p/dcutr); js dials only public addresses and cannot dial from its listen port
    services.dcutr = (await import('@libp2p/dcutr')).dcutr()
  }
  if (relayServer) {
    // the defaults of go-libp2p and js-libp2p: 2 min and 128 KiB per relayed connection
    services.relay = circuitRelayServer({ reservations: { maxReservations: 128 } })
  }

  return createLibp2p({
    privateKey,
    addresses: { listen },
    // circuit relay v2 client: dials /p2p-circuit addresses and listens on a relay for `listen --relay`
    transports: [tcp(dialOpts == null ? {} : { dialOpts }), circuitRelayTransport()],
    connectionEncrypters: await securityFactories(listOption(values.security ?? 'noise', ['noise', 'tls'], 'security')),
    streamMuxers: await muxerFactories(listOption(values.muxer ?? 'yamux', ['yamux', 'mplex'], 'muxer')),
    // libp2p's connection monitor pings every connection every 10 s over /ipfs/ping/1.0.0, whose service
    // allows one outbound stream per connection: when its ping coincides with the peer's own (the dial's
    // ping x3), the second fails with TooManyOutboundProtocolStreamsError (seen once in 100 lab rounds).
    // The peer measures with its own pings, so the monitor is off.
    connectionMonitor: { enabled: false },
    services: {
      ping: ping(),
      identify: identify(),
      ...services
    }
  })
}

/** The local TCP address of a connection, e.g. /ip4/127.0.0.1/tcp/50964, or null when it is unknown. */
function localAddrOf (conn) {
  // @libp2p/tcp keeps the net.Socket on the multiaddr connection; not part of the typed API
  const socket = conn.maConn?.socket
  if (socket == null || socket.localAddress == null || socket.localPort == null) return null
  const family = socket.localAddress.includes(':') ? 'ip6' : 'ip4'
  return `/${family}/${socket.localAddress}/tcp/${socket.localPort}`
}

function connectionInfo (conn) {
  return {
    remotePeer: conn.remotePeer.toString(),
    localAddr: localAddrOf(conn),
    remoteAddr: conn.remoteAddr.toString(),
    direction: conn.direction,
    encryption: conn.encryption ?? null,
    multiplexer: conn.multiplexer ?? null,
    connectionId: conn.id
  }
}

/** Sends `data` on `stream` in chunks, honouring backpressure, then closes the write side. */
async function sendAll (stream, data) {
  for (let off = 0; off < data.length; off += CHUNK_BYTES) {
    if (!stream.send(data.subarray(off, Math.min(off + CHUNK_BYTES, data.length)))) {
      await stream.onDrain()
    }
  }
  await stream.close()
}

/** Reads `stream` until the remote closes its write side; returns all bytes. Fails past `limit` bytes. */
async function readAll (stream, limit) {
  const parts = []
  let total = 0
  for await (const chunk of stream) {
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
    total += bytes.length
    if (total > limit) throw new Error(`echo returned more than the ${limit} bytes sent`)
    parts.push(bytes)
  }
  return Buffer.concat(parts, total)
}

/** Opens one /echo/1.0.0 stream, echoes `size` random bytes, compares them byte for byte. */
async function echoOnce (conn, size, signal) {
  const data = randomBytes(size)
  const stream = await conn.newStream(ECHO_PROTOCOL, { signal, maxOutboundStreams: 1024, runOnLimitedConnection: true })
  const [, back] = await Promise.all([sendAll(stream, data), readAll(stream, size)])
  if (back.length !== size) throw new Error(`echo returned ${back.length} bytes, expected ${size}`)
  const i = data.findIndex((b, k) => b !== back[k])
  if (i >= 0) throw new Error(`echo differs at byte ${i}`)
  return size
}

/** Echo handler: sends every byte back until the remote closes its write side, then closes. */
function echoHandler (onDone) {
  return async (stream, connection) => {
    let bytes = 0
    try {
      for await (const chunk of stream) {
        bytes += chunk.byteLength
        if (!stream.send(chunk)) await stream.onDrain()
      }
      await stream.close()
      onDone?.({ remotePeer: connection.remotePeer.toString(), bytes, ok: true })
    } catch (err) {
      stream.abort(err)
      onDone?.({ remotePeer: connection.remotePeer.toString(), bytes, ok: false, error: errorText(err) })
    }
  }
}

/**
 * Starts a listening node with the echo handler and the event lines of `listen`, prints the `listening`
 * line and arranges for SIGTERM, SIGINT and (unless --ignore-stdin) stdin EOF to stop it.
 * `dialOpts`, when given, is handed to the TCP transport and read at every connect (serve mode changes it).
 */
async function startListening (values, dialOpts, relayServer = false) {
  const host = values.host ?? '127.0.0.1'
  const port = intOption(values, 'port', 0)
  const family = host.includes(':') ? 'ip6' : 'ip4'
  const listen = [`/${family}/${host}/tcp/${port}`]
  if (values.relay != null) listen.push(`${values.relay}/p2p-circuit`)
  const node = await createNode(values, { listen, dialOpts, relayServer })

  await node.handle(ECHO_PROTOCOL, echoHandler(r => emit({ event: 'echo', ...r })), {
    maxInboundStreams: 1024,
    maxOutboundStreams: 1024,
    runOnLimitedConnection: true
  })
  node.addEventListener('connection:open', e => emit({ event: 'connection:open', ...connectionInfo(e.detail) }))
  node.addEventListener('connection:close', e => emit({ event: 'connection:close', ...connectionInfo(e.detail) }))
  node.addEventListener('peer:identify', e => emit({
    event: 'identify',
    remotePeer: e.detail.peerId.toString(),
    agentVersion: e.detail.agentVersion ?? null,
    protocols: e.detail.protocols
  }))

  emit({
    event: 'listening',
    peerId: node.peerId.toString(),
    multiaddrs: node.getMultiaddrs().map(ma => ma.toString())
  })
  if (values.relay != null) {
    // the relay transport listens once its reservation succeeded: the circuit address appears then
    const circuits = () => node.getMultiaddrs().map(ma => ma.toString()).filter(a => a.includes('/p2p-circuit'))
    const report = () => {
      if (circuits().length === 0) return false
      emit({ event: 'reservation', relay: values.relay, multiaddrs: circuits() })
      return true
    }
    if (!report()) {
      const onUpdate = () => { if (report()) node.removeEventListener('self:peer:update', onUpdate) }
      node.addEventListener('self:peer:update', onUpdate)
    }
  }

  let stopping = false
  const stop = async (why) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`peer.mjs: stopping (${why})\n`)
    setTimeout(() => process.exit(0), 3000).unref()
    try { await node.stop() } catch (err) { process.stderr.write(`peer.mjs: stop failed: ${errorText(err)}\n`) }
    emitAndExit({ event: 'stopped' }, 0)
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  return { node, stop }
}

async function runListen (values) {
  const { stop } = await startListening(values)
  if (!values['ignore-stdin']) {
    process.stdin.on('end', () => stop('stdin EOF'))
    process.stdin.on('error', () => stop('stdin error'))
    process.stdin.resume()
  }
}

/** relay: a circuit relay v2 server; prints `listening`, then connection lines, until stopped like `listen`. */
async function runRelay (values) {
  const { stop } = await startListening(values, undefined, true)
  if (!values['ignore-stdin']) {
    process.stdin.on('end', () => stop('stdin EOF'))
    process.stdin.on('error', () => stop('stdin error'))
    process.stdin.resume()
  }
}

const STEPS = ['ping', 'identify', 'echo', 'streams']

/**
 * Runs the dial steps (dial, ping, identify, echo, streams) on `node`, filling `result` as it goes
 * (`result.step` names the step in progress). Throws the first failure. `dialOptions` go to node.dial.
 * Also records `tcpConnectedAtUs` (when the upgrade started, right after the TCP connect completed: the
 * upgrader's first progress event follows the socket's `connect` event within the same turn of microtasks),
 * `usableAtUs` (when node.dial resolved) and `connectedToUsableMs` (the difference, in ms).
 */
async function dialSteps (node, ma, opts, result, signal, dialOptions = {}) {
  result.step = 'dial'
  const onProgress = (evt) => {
    if (evt.type === 'upgrader:encrypt-outbound-connection' && result.tcpConnectedAtUs == null) {
      result.tcpConnectedAtUs = nowUs()
    }
    dialOptions.onProgress?.(evt)
  }
  const conn = await node.dial(ma, { ...dialOptions, onProgress, signal })
  result.usableAtUs = nowUs()
  result.connectedToUsableMs = result.tcpConnectedAtUs == null ? null : (result.usableAtUs - result.tcpConnectedAtUs) / 1000
  Object.assign(result, connectionInfo(conn))

  if (!opts.skip.has('ping')) {
    result.step = 'ping'
    result.pingRttMs = []
    for (let i = 0; i < opts.pings; i++) {
      result.pingRttMs.push(await node.services.ping.ping(conn.remotePeer, { signal }))
    }
  }

  if (!opts.skip.has('identify')) {
    result.step = 'identify'
    const id = await node.services.identify.identify(conn, { signal })
    result.identify = {
      agentVersion: id.agentVersion ?? null,
      protocolVersion: id.protocolVersion ?? null,
      protocols: id.protocols,
      listenAddrs: id.listenAddrs.map(a => a.toString()),
      observedAddr: id.observedAddr?.toString() ?? null
    }
  }

  if (!opts.skip.has('echo')) {
    result.step = 'echo'
    result.echoBytes = await echoOnce(conn, opts.echoBytes, signal)
  }

  if (!opts.skip.has('streams')) {
    result.step = 'streams'
    await Promise.all(Array.from({ length: opts.streams }, () => echoOnce(conn, opts.streamBytes, signal)))
    result.streams = opts.streams
    result.streamBytes = opts.streamBytes
  }

  delete result.step
  result.ok = true
}

async function runDial (values, target) {
  if (target == null) throw new Error('dial needs a multiaddr')
  const { multiaddr } = await import('@multiformats/multiaddr')
  const ma = multiaddr(target)

  const timeoutMs = intOption(values, 'timeout-ms', 30000, 1)
  const opts = {
    echoBytes: intOption(values, 'echo-bytes', 1048576),
    streams: intOption(values, 'streams', 16),
    streamBytes: intOption(values, 'stream-bytes', 65536),
    pings: intOption(values, 'pings', 3),
    skip: new Set(values.skip == null ? [] : listOption(values.skip, STEPS, 'skip'))
  }

  const dialOpts = {}
  if (values['local-port'] != null) dialOpts.localPort = intOption(values, 'local-port', 0, 1)
  if (values['local-host'] != null) dialOpts.localAddress = values['local-host']

  const result = { event: 'dialed', ok: false, remotePeer: null }
  const controller = new AbortController()
  const timer = setTimeout(() => {
    controller.abort(new Error(`timed out after ${timeoutMs} ms`))
    result.error = `${result.step ?? 'setup'}: timed out after ${timeoutMs} ms`
    emitAndExit(result, 1)
  }, timeoutMs)
  const signal = controller.signal
  // every concurrent stream adds an abort listener; the default limit of 10 only produces a warning
  setMaxListeners(Math.max(64, 4 * opts.streams), signal)

  let node
  try {
    result.step = 'start'
    node = await createNode(values, { listen: [], dialOpts: Object.keys(dialOpts).length > 0 ? dialOpts : undefined })
    await dialSteps(node, ma, opts, result, signal)
    const holdMs = intOption(values, 'hold-ms', 0)
    if (holdMs > 0) {
      // keep the node (and its relayed connection) up, e.g. for the remote's DCUtR
      await new Promise(resolve => setTimeout(resolve, holdMs))
      result.connectionsAtEnd = node.getConnections().map(c => c.remoteAddr.toString())
    }
  } catch (err) {
    result.error = `${result.step}: ${errorText(signal.aborted ? signal.reason : err)}`
  }
  clearTimeout(timer)
  if (node != null) {
    // a peer that never answers the close must not keep us here
    await Promise.race([node.stop().catch(() => {}), new Promise(resolve => setTimeout(resolve, 2000).unref())])
  }
  emitAndExit(result, result.ok ? 0 : 1)
}

/** Reads a non-negative integer field of a serve command; `dflt` when absent. */
function intField (cmd, name, dflt, min = 0) {
  const v = cmd[name]
  if (v == null) return dflt
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`"${name}" must be an integer >= ${min}, got ${JSON.stringify(v)}`)
  return v
}

/**
 * serve: listens like `listen` and runs JSON commands read from stdin, one per line, in the same node
 * (same peer ID). Commands run concurrently; each answers with its own lines:
 *   {"cmd":"dial","addr":MA,"localPort":Q,"echoBytes":N,"skip":[..],"streams":N,"streamBytes":N,"pings":N,
 *    "timeoutMs":N,"force":true}
 *     -> {"event":"dialing","addr":MA} once the TCP connect was issued (or the dial ended before it),
 *        then the `dialed` line of `dial`. force (default true) opens a new connection even when one
 *        to the peer exists.
 *   {"cmd":"connections"} -> {"event":"connections","count":n,"list":[{remotePeer,remoteAddr,direction},..]}
 *   {"cmd":"hangup"} -> closes every connection -> {"event":"hungup","closed":n}
 * A line that is not a valid command prints {"event":"error","error":"..."} and the peer keeps serving.
 * stdin EOF stops the peer.
 */
async function runServe (values) {
  const { multiaddr } = await import('@multiformats/multiaddr')
  const { createInterface } = await import('node:readline')
  // read by @libp2p/tcp at every connect: a dial with localPort sets it until its connect was issued
  const dialOpts = {}
  let localPortDialConnecting = false
  const { node, stop } = await startListening(values, dialOpts)

  const dial = async (cmd) => {
    let dialingSent = false
    const dialing = () => {
      if (!dialingSent) {
        dialingSent = true
        emit({ event: 'dialing', addr: cmd.addr ?? null })
      }
    }
    const result = { event: 'dialed', ok: false, remotePeer: null }
    const controller = new AbortController()
    let timer
    try {
      result.step = 'setup'
      if (typeof cmd.addr !== 'string') throw new Error('"addr" must be a multiaddr string')
      const ma = multiaddr(cmd.addr)
      const timeoutMs = intField(cmd, 'timeoutMs', 30000, 1)
      if (cmd.skip != null && !Array.isArray(cmd.skip)) throw new Error('"skip" must be an array')
      const opts = {
        echoBytes: intField(cmd, 'echoBytes', 1048576),
        streams: intField(cmd, 'streams', 16),
        streamBytes: intField(cmd, 'streamBytes', 65536),
        pings: intField(cmd, 'pings', 3),
        skip: new Set(cmd.skip == null || cmd.skip.length === 0 ? [] : listOption(cmd.skip.join(','), STEPS, 'skip'))
      }
      const localPort = intField(cmd, 'localPort', null, 1)
      setMaxListeners(Math.max(64, 4 * opts.streams), controller.signal)
      timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)

      if (localPort != null) {
        if (localPortDialConnecting) throw new Error('another dial with localPort is still connecting')
        localPortDialConnecting = true
        dialOpts.localPort = localPort
      }
      let portReleased = localPort == null
      const releasePort = () => {
        if (!portReleased) {
          portReleased = true
          delete dialOpts.localPort
          localPortDialConnecting = false
        }
      }
      const onProgress = (evt) => {
        if (evt.type === 'tcp:open-connection') {
          // @libp2p/tcp calls net.connect synchronously right after this event
          queueMicrotask(() => { releasePort(); dialing() })
        }
      }
      try {
        await dialSteps(node, ma, opts, result, controller.signal, { onProgress, force: cmd.force ?? true })
      } finally {
        releasePort()
      }
    } catch (err) {
      result.error = `${result.step}: ${errorText(controller.signal.aborted ? controller.signal.reason : err)}`
    }
    clearTimeout(timer)
    dialing()
    emit(result)
  }

  const connections = () => {
    const list = node.getConnections().filter(c => c.status === 'open').map(c => ({
      remotePeer: c.remotePeer.toString(),
      remoteAddr: c.remoteAddr.toString(),
      direction: c.direction
    }))
    emit({ event: 'connections', count: list.length, list })
  }

  const hangup = async () => {
    const conns = node.getConnections()
    // a remote that never answers the close must not hold the answer back: abort after 2 s
    await Promise.all(conns.map(c => Promise.race([
      c.close().catch(() => c.abort(new Error('hangup'))),
      new Promise(resolve => setTimeout(resolve, 2000).unref()).then(() => c.abort(new Error('hangup: close timed out')))
    ])))
    emit({ event: 'hungup', closed: conns.length })
  }

  const lines = createInterface({ input: process.stdin })
  lines.on('line', line => {
    if (line.trim().length === 0) return
    let cmd
    try {
      cmd = JSON.parse(line)
      if (cmd == null || typeof cmd !== 'object') throw new Error('a command must be a JSON object')
    } catch (err) {
      emit({ event: 'error', error: `bad command line: ${errorText(err)}` })
      return
    }
    const run = cmd.cmd === 'dial' ? dial : cmd.cmd === 'connections' ? connections : cmd.cmd === 'hangup' ? hangup : null
    if (run == null) {
      emit({ event: 'error', error: `unknown command ${JSON.stringify(cmd.cmd)}` })
      return
    }
    Promise.resolve().then(() => run(cmd)).catch(err => emit({ event: 'error', error: `${cmd.cmd}: ${errorText(err)}` }))
  })
  lines.on('close', () => stop('stdin EOF'))
  process.stdin.on('error', () => stop('stdin error'))
}

async function main () {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        security: { type: 'string' },
        muxer: { type: 'string' },
        'key-type': { type: 'string' },
        'ignore-stdin': { type: 'boolean' },
        'local-host': { type: 'string' },
        'local-port': { type: 'string' },
        'echo-bytes': { type: 'string' },
        streams: { type: 'string' },
        'stream-bytes': { type: 'string' },
        pings: { type: 'string' },
        skip: { type: 'string' },
        'timeout-ms': { type: 'string' },
        relay: { type: 'string' },
        dcutr: { type: 'boolean' },
        'hold-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`)
    process.exit(2)
  }
  const { values, positionals } = parsed
  const [command, ...rest] = positionals
  if (values.help || command == null) {
    process.stderr.write(USAGE + '\n')
    process.exit(values.help ? 0 : 2)
  }
  try {
    if (command === 'listen') await runListen(values)
    else if (command === 'dial') await runDial(values, rest[0])
    else if (command === 'serve') await runServe(values)
    else if (command === 'relay') await runRelay(values)
    else throw new Error(`unknown command "${command}"`)
  } catch (err) {
    emitAndExit({ event: 'error', error: errorText(err) }, 2)
  }
}

await main()
