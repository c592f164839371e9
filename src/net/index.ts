// The data path (layer 5): pcap in and out today; virtual devices, XDP/TC hooks, redirect maps
// and AF_XDP join here. The package's `tsbpf/net` entry.
export * from './pcap.js';
