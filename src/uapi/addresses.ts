// Addresses as people write them: IPv4 dotted quads and MACs (aa:bb:cc:dd:ee:ff), to and from the
// bytes a packet or a map holds. One parser for the FIB table, the devices, the traffic generator
// and the data-plane library; a bad text gives undefined and each caller words its own error.

/** '192.0.2.1' → its 4 bytes in network order; undefined when it is not a dotted quad. */
export function ipv4FromText(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return Uint8Array.from(parts, Number);
}

/** 'aa:bb:cc:dd:ee:ff' → 6 bytes; undefined when it is not six hex pairs. */
export function macFromText(text: string): Uint8Array | undefined {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
}

export function macToText(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}
