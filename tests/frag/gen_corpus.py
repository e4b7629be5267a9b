import struct, os, sys
out = sys.argv[1]
def v4(id_, off, ln, mf=False, df=False, ecn=0, opt=0, dt=0, expire=False, tcp=False):
    op = (id_ << 4) | (0x10 if tcp else 0) | 0 | (0x80 if expire else 0)
    op = ((id_ & 7) << 4) | (0x80 if expire else 0)
    fl = (1 if mf else 0) | (2 if df else 0) | (ecn << 2) | (opt << 5)
    return bytes([op, dt]) + struct.pack('>HHB', off // 8, ln, fl)
def v6(id_, off, ln, mf=False, ecn=0, ext=False, nonext=False, lie=None, dt=0, expire=False):
    op = ((id_ & 7) << 4) | 2 | (0x80 if expire else 0)
    fl = (1 if mf else 0) | (ecn << 2) | (0x10 if ext else 0) | (0x20 if nonext else 0) | (0x40 if lie is not None else 0)
    b = bytes([op, dt]) + struct.pack('>HHB', off, ln, fl)
    if lie is not None: b += bytes([lie])
    return b
def raw(data, v6=False):
    return bytes([3 | (4 if v6 else 0), 0, len(data) - 1]) + data
CFG = 0x3f  # 4 datagrams, 8 frags, 2 * 3000 bytes
seeds = {
 'v4_in_order': [v4(1,0,1480,True), v4(1,1480,1480,True), v4(1,2960,40)],
 'v4_reverse': [v4(1,2960,40), v4(1,1480,1480,True), v4(1,0,1480,True)],
 'v4_duplicate': [v4(1,0,800,True), v4(1,0,800,True), v4(1,800,8)],
 'v4_overlap': [v4(1,0,800,True), v4(1,792,100)],
 'v4_tiny': [v4(2,i*8,8,True) for i in range(7)] + [v4(2,56,3)],
 'v4_bad_end': [v4(1,0,800,True), v4(1,800,100), v4(1,800,50)],
 'v4_zero_len': [v4(1,0,0,True), v4(1,0,800,True), v4(1,800,0)],
 'v4_round': [v4(3,0,803,True), v4(3,800,10)],
 'v4_ecn_df_opt': [v4(1,0,800,True,True,2,2), v4(1,800,10,False,True,3)],
 'v4_ecn_bad': [v4(1,0,800,True,ecn=0), v4(1,800,10,ecn=2)],
 'v6_in_order': [v6(1,0,1232,True), v6(1,1232,1232,True), v6(1,2464,544)],
 'v6_ext_reverse': [v6(1,800,100,ext=True), v6(1,0,800,True,ext=True)],
 'v6_atomic': [v6(4,0,100)],
 'v6_overlap': [v6(1,0,800,True), v6(1,792,100)],
 'v6_not_aligned': [v6(1,0,800,True), v6(1,800,801,True)],
 'v6_lie_plen': [v6(1,0,800,True,lie=0), v6(1,800,8,lie=200), v6(1,800,8)],
 'v6_truncated_first': [v6(1,0,4,True), v6(2,0,4,True,nonext=True)],
 'raw_packets': [raw(bytes.fromhex('4500001c0001200040110000c0000201c6336402') + b'\x00'*8),
                 raw(bytes.fromhex('6000000000102c40') + b'\xfd' + b'\x00'*15 + b'\xfd' + b'\x00'*15 + bytes.fromhex('1100000100000007') + b'\x00'*8, True)],
 'eviction': [v4(i,0,8,True,dt=1) for i in range(6)],
 'timeouts': [v4(1,0,8,True,dt=0), v6(2,0,8,True,dt=10), v4(1,8,8,dt=25,expire=True), v6(2,8,8,dt=31,expire=True), v4(3,0,8,True,dt=31,expire=True)],
}
os.makedirs(out, exist_ok=True)
for name, ops in seeds.items():
    cfg = 0x00 if name == 'eviction' else CFG
    open(os.path.join(out, name), 'wb').write(bytes([cfg]) + b''.join(ops))
print(len(seeds))
