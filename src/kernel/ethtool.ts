// A device's driver statistics (what `ethtool -S` prints) through the SIOCETHTOOL ioctl: the
// names of string set ETH_SS_STATS (ETHTOOL_GSSET_INFO for the count, ETHTOOL_GSTRINGS for the
// names) and their values (ETHTOOL_GSTATS). veth reports its XDP verdicts there per RX queue
// (rx_queue_N_xdp_packets, _xdp_drops, _xdp_tx, _xdp_redirect, ...). Layouts and numbers from
// include/uapi/linux/ethtool.h and include/uapi/linux/sockios.h.

import { TsbpfError } from '../errors.js';
import { check, netLibc } from './libc-net.js';
import { addressOf, closeFd, pinned } from './syscall.js';

const SIOCETHTOOL = 0x8946;
const ETHTOOL_GSTRINGS = 0x1b;
const ETHTOOL_GSTATS = 0x1d;
const ETHTOOL_GSSET_INFO = 0x37;
const ETH_SS_STATS = 1;
const ETH_GSTRING_LEN = 32;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
/** struct ifreq: char ifr_name[IFNAMSIZ], then a union whose ifr_data is a pointer. */
const IFREQ_SIZE = 40;

/**
 * The driver statistics of device `name` in the calling thread's network namespace, by name in
 * the driver's order. A device whose driver keeps none gives an empty map.
 */
export function deviceStatistics(name: string): Map<string, bigint> {
  if (name.length === 0 || name.length > 15 || !/^[\x21-\x7e]+$/.test(name))
    throw new TsbpfError('INVALID_ARGUMENT', `'${name}' is not an interface name`);
  const libc = netLibc();
  const fd = check('socket(AF_INET)', libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  try {
    const ifreq = pinned(IFREQ_SIZE);
    ifreq.set(new TextEncoder().encode(name), 0);
    const call = (op: string, arg: Uint8Array) => {
      new DataView(ifreq.buffer).setBigUint64(16, addressOf(arg), true);
      check(op, libc.ioctl(fd, SIOCETHTOOL, ifreq), name);
    };
    // struct ethtool_sset_info {u32 cmd; u32 reserved; u64 sset_mask; u32 data[]}
    const info = pinned(20);
    const iv = new DataView(info.buffer);
    iv.setUint32(0, ETHTOOL_GSSET_INFO, true);
    iv.setBigUint64(8, 1n << BigInt(ETH_SS_STATS), true);
    call('ETHTOOL_GSSET_INFO', info);
    if ((iv.getBigUint64(8, true) & (1n << BigInt(ETH_SS_STATS))) === 0n) return new Map();
    const n = iv.getUint32(16, true);
    // struct ethtool_gstrings {u32 cmd; u32 string_set; u32 len; u8 data[]}
    const strings = pinned(12 + n * ETH_GSTRING_LEN);
    const sv = new DataView(strings.buffer);
    sv.setUint32(0, ETHTOOL_GSTRINGS, true);
    sv.setUint32(4, ETH_SS_STATS, true);
    sv.setUint32(8, n, true);
    call('ETHTOOL_GSTRINGS', strings);
    // struct ethtool_stats {u32 cmd; u32 n_stats; u64 data[]}
    const stats = pinned(8 + n * 8);
    const tv = new DataView(stats.buffer);
    tv.setUint32(0, ETHTOOL_GSTATS, true);
    tv.setUint32(4, n, true);
    call('ETHTOOL_GSTATS', stats);
    const out = new Map<string, bigint>();
    const decoder = new TextDecoder();
    for (let k = 0; k < Math.min(n, tv.getUint32(4, true)); k++) {
      const raw = strings.subarray(12 + k * ETH_GSTRING_LEN, 12 + (k + 1) * ETH_GSTRING_LEN);
      const end = raw.indexOf(0);
      out.set(decoder.decode(raw.subarray(0, end < 0 ? raw.length : end)), tv.getBigUint64(8 + k * 8, true));
    }
    return out;
  } finally {
    closeFd(fd);
  }
}
