// Preloaded (`node --import`) into the system under soak, which otherwise runs unchanged
// (`claraverse start`): answers the benchmark's questions about the V8 heap and the event loop over
// the IPC channel of `fork`. Embedded mode serves no metrics port, so this is how the heap is seen.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'

const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()

process.on('message', (m) => {
  if (m?.type !== 'soak:sample') return
  // Only when asked (warm-up end, end of run): a forced full GC shows what is retained, not garbage.
  const gcStart = performance.now()
  if (m.gc) globalThis.gc?.()
  const gcMs = performance.now() - gcStart
  const mem = process.memoryUsage()
  process.send?.({
    type: 'soak:sample', id: m.id, gc: Boolean(m.gc && globalThis.gc), gc_ms: gcMs,
    rss: mem.rss, heap_used: mem.heapUsed, heap_total: mem.heapTotal, external: mem.external, array_buffers: mem.arrayBuffers,
    loop_p99_ms: delay.percentile(99) / 1e6, loop_max_ms: delay.max / 1e6,
  })
  delay.reset()
})
// The channel must not keep the system alive: it exits on SIGTERM as it would without the probe.
process.channel?.unref()
