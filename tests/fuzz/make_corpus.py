#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Turn pcaps into fuzz_pipeline inputs: records of [flags][len be16][frame]."""
import struct
import sys
import os

LINK = {1: 0, 101: 1, 228: 1, 229: 1, 113: 2, 276: 3, 0: 4, 108: 4}


def frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        off += 16
        yield LINK.get(linktype, 0), data[off:off + incl]
        off += incl


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for p in sys.argv[2:]:
        buf = b''
        for link, fr in frames(p):
            fr = fr[:65535]
            buf += struct.pack('>BH', link, len(fr)) + fr
            if len(buf) > 20000:
                break
        name = os.path.basename(p).replace('.pcap', '')
        with open(os.path.join(out, name), 'wb') as f:
            f.write(buf)


if __name__ == '__main__':
    main()
