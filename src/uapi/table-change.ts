// A change of the kernel's IPv4 route, neighbour or address table, as a program's controller
// sees it: what kernel/'s RtnetlinkMonitor.read() reports from rtnetlink, and what the data-plane
// library mirrors into its maps. Here, below both, so that one definition serves each entry and
// the browser-safe tsbpf/dataplane needs nothing of the kernel's.

/** One table change (a dump at start reports every entry as 'add'). */
export type TableChange =
  | {
      readonly kind: 'route';
      readonly action: 'add' | 'delete';
      /** 'a.b.c.d/len'. */
      readonly prefix: string;
      /** The output device (0 when the route names none). */
      readonly ifindex: number;
      /** The gateway; absent for an on-link route. */
      readonly via?: string;
    }
  | {
      readonly kind: 'neighbour';
      readonly action: 'add' | 'delete';
      readonly address: string;
      readonly ifindex: number;
      /** Present for 'add'. */
      readonly mac?: string;
    }
  | {
      /** An IPv4 address of an interface of this host. */
      readonly kind: 'address';
      readonly action: 'add' | 'delete';
      readonly address: string;
      readonly ifindex: number;
    };
