// Link-layer constants the helpers and contexts share: Ethernet header sizes and the
// ethertypes of <linux/if_ether.h> (host byte order).

export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
/** Type fields below this are 802.3 lengths, not ethertypes. */
export const ETH_P_802_3_MIN = 0x600;
/** Pseudo protocols the kernel gives frames without a valid ethertype (802.3, 802.2). */
export const ETH_P_802_3 = 0x0001;
export const ETH_P_802_2 = 0x0004;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
