import { cryptoModule } from '../lazy-builtins.js';

// Not `import … from 'node:fs'`: an ESM import builds the module's namespace, whose getter loads `fs/promises`.
const { closeSync, openSync, readSync } = process.getBuiltinModule('node:fs');

const DEVICE = '/dev/urandom';

/**
 * `size` random bytes from the kernel's generator, the one `crypto.randomBytes` seeds from. Read from `/dev/urandom`
 * rather than through `node:crypto`, whose load (OpenSSL's start, 6 to 10 ms) would otherwise fall inside every
 * worker's first handshake. Where the device cannot be read (a chroot without /dev), `node:crypto` supplies them.
 */
export function osRandomBytes(size: number, device = DEVICE): Buffer {
  let fd: number;
  try {
    fd = openSync(device, 'r');
  } catch {
    return cryptoModule().randomBytes(size);
  }
  try {
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const read = readSync(fd, bytes, filled, size - filled, null);
      if (read === 0) return cryptoModule().randomBytes(size);
      filled += read;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}
