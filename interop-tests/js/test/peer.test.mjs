// js <-> js checks of peer.mjs: a listener process and a dialer process over loopback TCP.
// Run with `npm test` (node's built-in test runner).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const PEER = fileURLToPath(new URL('../peer.mjs', import.meta.url))

/** Starts a listener; resolves with { proc, listening, events } once its first line arrived. */
function startListener (args) {
  const proc = spawn(process.execPath, [PEER, 'listen', ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const events = []
  const lines = createInterface({ input: proc.stdout })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('listener did not start within 10 s')), 10000)
    proc.on('exit', code => reject(new Error(`listener exited early with ${code}`)))
    lines.on('line', line => {
      const event = JSON.parse(line)
      events.push(event)
      if (event.event === 'listening') {
        clearTimeout(timer)
        resolve({ proc, listening: event, events })
      }
    })
  })
}

/** Closes the listener's stdin and waits for it to exit. */
function stopListener (listener) {
  return new Promise(resolve => {
    listener.proc.on('exit', code => resolve(code))
    listener.proc.stdin.end()
  })
}

/** Runs a dialer to completion; resolves with { code, result }. */
function runDialer (args) {
  const proc = spawn(process.execPath, [PEER, 'dial', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  proc.stdout.on('data', d => { out += d })
  return new Promise(resolve => {
    proc.on('close', code => resolve({ code, result: JSON.parse(out.trim().split('\n').pop()) }))
  })
}

const combos = [
  { security: 'noise', muxer: 'yamux' },
  { security: 'noise', muxer: 'mplex' },
  { security: 'tls', muxer: 'yamux' },
  { security: 'tls', muxer: 'mplex' }
]

for (const { security, muxer } of combos) {
  test(`dialer completes ping, identify and echo over ${security} and ${muxer}`, async () => {
    const options = ['--security', security, '--muxer', muxer]
    const listener = await startListener(options)
    try {
      const { code, result } = await runDialer([listener.listening.multiaddrs[0], ...options, '--timeout-ms', '20000'])
      assert.equal(result.error, undefined)
      assert.equal(code, 0)
      assert.equal(result.ok, true)
      assert.equal(result.remotePeer, listener.listening.peerId)
      assert.equal(result.encryption, security === 'noise' ? '/noise' : '/tls/1.0.0')
      assert.equal(result.multiplexer, muxer === 'yamux' ? '/yamux/1.0.0' : '/mplex/6.7.0')
      assert.equal(result.pingRttMs.length, 3)
      assert.ok(result.identify.protocols.includes('/echo/1.0.0'))
      assert.match(result.identify.agentVersion, /^js-libp2p\//)
      assert.equal(result.echoBytes, 1048576)
      assert.equal(result.streams, 16)
    } finally {
      assert.equal(await stopListener(listener), 0)
    }
    const opened = listener.events.filter(e => e.event === 'connection:open')
    assert.equal(opened.length, 1)
    assert.equal(opened[0].direction, 'inbound')
    assert.equal(listener.events.filter(e => e.event === 'echo' && e.ok).length, 17)
  })
}

test('dialer dials from the requested local port', async () => {
  const listener = await startListener([])
  const localPort = 20000 + Math.floor(Math.random() * 20000)
  try {
    const { code } = await runDialer([listener.listening.multiaddrs[0], '--local-port', String(localPort), '--skip', 'ping,identify,streams', '--echo-bytes', '1000'])
    assert.equal(code, 0)
  } finally {
    await stopListener(listener)
  }
  const opened = listener.events.find(e => e.event === 'connection:open')
  assert.match(opened.remoteAddr, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/${localPort}/`))
})

test('dialer reports failure when the peer ID does not match', async () => {
  const listener = await startListener([])
  const other = await startListener([])
  try {
    const addr = listener.listening.multiaddrs[0].replace(/\/p2p\/.*$/, `/p2p/${other.listening.peerId}`)
    const { code, result } = await runDialer([addr, '--timeout-ms', '10000'])
    assert.equal(code, 1)
    assert.equal(result.ok, false)
    assert.match(result.error, /^dial: /)
  } finally {
    await stopListener(listener)
    await stopListener(other)
  }
})

test('dialer gives up after --timeout-ms against a silent TCP server', async () => {
  const net = await import('node:net')
  const sockets = []
  const server = net.createServer(s => sockets.push(s))
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  try {
    const { code, result } = await runDialer([`/ip4/127.0.0.1/tcp/${server.address().port}`, '--timeout-ms', '1500'])
    assert.equal(code, 1)
    assert.equal(result.ok, false)
    assert.match(result.error, /timed out after 1500 ms/)
  } finally {
    sockets.forEach(s => s.destroy())
    server.close()
  }
})

/** Starts `serve`; resolves with { proc, listening, events, next(predicate, ms), send(obj) }. */
async function startServe (args) {
  const proc = spawn(process.execPath, [PEER, 'serve', ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const events = []
  const waiters = []
  createInterface({ input: proc.stdout }).on('line', line => {
    const event = JSON.parse(line)
    events.push(event)
    for (const w of [...waiters]) {
      if (w.predicate(event)) {
        waiters.splice(waiters.indexOf(w), 1)
        clearTimeout(w.timer)
        w.resolve(event)
      }
    }
  })
  /** Resolves with the first event (from now on, or already seen after `from`) that matches. */
  const next = (predicate, ms = 10000, from = events.length) => {
    const seen = events.slice(from).find(predicate)
    if (seen != null) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const w = { predicate, resolve, timer: setTimeout(() => reject(new Error(`no matching line within ${ms} ms`)), ms) }
      waiters.push(w)
    })
  }
  const send = obj => proc.stdin.write(JSON.stringify(obj) + '\n')
  const listening = await next(e => e.event === 'listening', 10000, 0)
  return { proc, listening, events, next, send }
}

test('serve dials from its own node on command, lists and hangs up connections, stops on stdin EOF', async () => {
  const listener = await startListener([])
  const serve = await startServe([])
  try {
    const localPort = 20000 + Math.floor(Math.random() * 20000)
    const from = serve.events.length
    serve.send({ cmd: 'dial', addr: listener.listening.multiaddrs[0], localPort, echoBytes: 1000, streams: 2 })
    const dialed = await serve.next(e => e.event === 'dialed', 20000, from)
    const dialing = serve.events.findIndex((e, i) => i >= from && e.event === 'dialing')
    assert.ok(dialing >= 0 && dialing < serve.events.indexOf(dialed), 'dialing comes before dialed')
    assert.equal(dialed.error, undefined)
    assert.equal(dialed.ok, true)
    assert.equal(dialed.remotePeer, listener.listening.peerId)
    assert.equal(dialed.localAddr, `/ip4/127.0.0.1/tcp/${localPort}`)
    assert.equal(dialed.echoBytes, 1000)
    assert.equal(dialed.streams, 2)
    // TCP connected (the upgrade's start) -> usable, on the wall clock in epoch microseconds
    assert.ok(Number.isSafeInteger(dialed.tcpConnectedAtUs) && Number.isSafeInteger(dialed.usableAtUs))
    assert.ok(Math.abs(dialed.tcpConnectedAtUs / 1000 - Date.now()) < 60000, 'epoch microseconds')
    assert.ok(dialed.usableAtUs >= dialed.tcpConnectedAtUs)
    assert.equal(dialed.connectedToUsableMs, (dialed.usableAtUs - dialed.tcpConnectedAtUs) / 1000)
    // the listener saw the serve node's own peer ID: the dial ran in the listening node
    const opened = await new Promise(resolve => {
      const poll = () => {
        const e = listener.events.find(e => e.event === 'connection:open')
        if (e != null) resolve(e); else setTimeout(poll, 20)
      }
      poll()
    })
    assert.equal(opened.remotePeer, serve.listening.peerId)
    assert.match(opened.remoteAddr, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/${localPort}/`))

    let at = serve.events.length
    serve.send({ cmd: 'connections' })
    const conns = await serve.next(e => e.event === 'connections', 5000, at)
    assert.equal(conns.count, 1)
    assert.deepEqual(conns.list[0], {
      remotePeer: listener.listening.peerId,
      remoteAddr: dialed.remoteAddr,
      direction: 'outbound'
    })

    at = serve.events.length
    serve.send({ cmd: 'hangup' })
    await serve.next(e => e.event === 'hungup', 5000, at)
    at = serve.events.length
    serve.send({ cmd: 'connections' })
    assert.equal((await serve.next(e => e.event === 'connections', 5000, at)).count, 0)

    at = serve.events.length
    serve.proc.stdin.write('not json\n')
    serve.send({ cmd: 'frobnicate' })
    serve.send({ cmd: 'dial', addr: 'not a multiaddr' })
    assert.match((await serve.next(e => e.event === 'error', 5000, at)).error, /bad command line/)
    assert.match((await serve.next(e => e.event === 'error' && /frobnicate/.test(e.error), 5000, at)).error, /unknown command/)
    const bad = await serve.next(e => e.event === 'dialed', 5000, at)
    assert.equal(bad.ok, false)
    assert.match(bad.error, /^setup: /)
  } finally {
    assert.equal(await stopListener(serve), 0)
    await stopListener(listener)
  }
  assert.equal(serve.events.at(-1).event, 'stopped')
})

test('serve accepts inbound connections while it dials', async () => {
  const a = await startServe([])
  const b = await startServe([])
  try {
    a.send({ cmd: 'dial', addr: b.listening.multiaddrs[0], skip: ['identify', 'echo', 'streams'], pings: 1 })
    b.send({ cmd: 'dial', addr: a.listening.multiaddrs[0], skip: ['identify', 'echo', 'streams'], pings: 1 })
    assert.equal((await a.next(e => e.event === 'dialed', 20000, 0)).ok, true)
    assert.equal((await b.next(e => e.event === 'dialed', 20000, 0)).ok, true)
    const at = a.events.length
    a.send({ cmd: 'connections' })
    // js keeps both crossed connections (no dedupe): one outbound, one inbound
    const conns = await a.next(e => e.event === 'connections', 5000, at)
    assert.deepEqual(conns.list.map(c => c.direction).sort(), ['inbound', 'outbound'])
  } finally {
    await stopListener(a)
    await stopListener(b)
  }
})
