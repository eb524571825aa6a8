// glibc's malloc returns the top of its heap to the kernel (trim) once more than 128 KiB there is
// free, and raises that bound only after a block it mapped on its own (above its mmap
// threshold) is freed (mallopt(3), "dynamic threshold"). Socket read buffers are 64 KiB heap
// blocks that the garbage collector frees in batches: under bulk traffic the heap was trimmed
// behind each batch and grown again for the next reads, every new page a fault in the kernel.
// V8 scavenges once 32 MiB of young ArrayBuffers are allocated ("external memory pressure"), so
// a batch is about 32 MiB: a trim threshold of 32 MiB still let one through now and then.

/**
 * The largest block glibc's dynamic threshold follows (32 MiB on 64-bit, header and page
 * included): its mmap threshold becomes this size and its trim threshold twice that, 64 MiB.
 */
const BLOCK_BYTES = 32 * 1024 * 1024 - 64 * 1024;

/**
 * Allocates and lets go of one block big enough to be mapped on its own: when the garbage
 * collector frees it, glibc keeps up to 64 MiB of freed heap instead of 128 KiB. Elsewhere (musl,
 * macOS) it is one short-lived allocation.
 */
export function raiseMallocThresholds(): void {
  Buffer.allocUnsafeSlow(BLOCK_BYTES);
}
