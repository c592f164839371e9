// Address families of <linux/socket.h> that helpers and contexts report.

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
