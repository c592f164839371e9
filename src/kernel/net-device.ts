// A network device of the calling thread's namespace by name or ifindex, with its MAC address:
// RTM_GETLINK (by ifi_index, or by an IFLA_IFNAME attribute) answered by an RTM_NEWLINK whose
// IFLA_IFNAME and IFLA_ADDRESS attributes are read (uapi <linux/if_link.h>).

import { BpfError, Errno, TsbpfError } from '../errors.js';
import { macToText } from '../uapi/addresses.js';
import { IFINFO, ifinfo } from './netlink-xdp.js';
import { attributes, bytesOf, exchange, HDR, NLM_F_REQUEST, request } from './rtnetlink.js';

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
/** IFNAMSIZ - 1 */
const IFNAME_MAX = 15;

export interface NetDevice {
  readonly name: string;
  readonly ifindex: number;
  /** 'aa:bb:cc:dd:ee:ff' ('' for a device without an Ethernet address). */
  readonly mac: string;
}

/** The device `nameOrIfindex` of the calling thread's namespace; INVALID_ARGUMENT when none. */
export function netDevice(nameOrIfindex: string | number): NetDevice {
  let req: Uint8Array;
  if (typeof nameOrIfindex === 'number') {
    if (!Number.isInteger(nameOrIfindex) || nameOrIfindex <= 0 || nameOrIfindex > 0x7fffffff)
      throw new TsbpfError('INVALID_ARGUMENT', `ifindex ${nameOrIfindex} is not a positive 32-bit integer`);
    req = request(RTM_GETLINK, NLM_F_REQUEST, ifinfo(nameOrIfindex));
  } else {
    if (nameOrIfindex === '' || nameOrIfindex.length > IFNAME_MAX || /[\0/\s]/.test(nameOrIfindex))
      throw new TsbpfError('INVALID_ARGUMENT', `'${nameOrIfindex}' is not a device name`);
    req = request(RTM_GETLINK, NLM_F_REQUEST, ifinfo(0), [
      { type: IFLA_IFNAME, payload: new TextEncoder().encode(`${nameOrIfindex}\0`) },
    ]);
  }
  let reply: DataView;
  try {
    reply = exchange(req, `RTM_GETLINK ${nameOrIfindex}`);
  } catch (e) {
    if (e instanceof BpfError && (e.errno === Errno.ENODEV || e.errno === Errno.ENOENT))
      throw new TsbpfError('INVALID_ARGUMENT', `no device '${nameOrIfindex}' in this network namespace`, {
        cause: e,
      });
    throw e;
  }
  if (reply.getUint16(4, true) !== RTM_NEWLINK)
    throw new TsbpfError('BPF_ERROR', `RTM_GETLINK ${nameOrIfindex}: unexpected reply`);
  const len = Math.min(reply.getUint32(0, true), reply.byteLength);
  const a = attributes(reply, HDR + IFINFO, len);
  const nameAttr = a.get(IFLA_IFNAME);
  const name =
    nameAttr === undefined ? '' : new TextDecoder().decode(bytesOf(nameAttr)).replace(/\0.*$/s, '');
  const addr = a.get(IFLA_ADDRESS);
  return {
    name,
    ifindex: reply.getInt32(HDR + 4, true),
    mac: addr !== undefined && addr.byteLength === 6 ? macToText(bytesOf(addr)) : '',
  };
}
