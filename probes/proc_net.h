/* proc_net.h - the kernel's socket tables /proc/net/{tcp,tcp6,udp,udp6}
 * (net/ipv4/tcp_ipv4.c get_tcp4_sock, tcp_ipv6.c get_tcp6_sock,
 * udp.c udp4_format_sock): a header line, then one socket a line, `sl:
 * LOCAL REMOTE ST TXQ:RXQ TR:WHEN RETR UID TIMEOUT INODE ...`.
 *
 * Addresses are the bytes of the network-order address printed as
 * native 32-bit words (%08X), so on a little-endian machine 127.0.0.1 is
 * 0100007F; ports are %04X in host order. The parser converts back to
 * network byte order for the machine it runs on. A line it cannot read is
 * AX_EINVALID naming the line; at most PN_SOCKETS_MAX sockets. */
#ifndef AX_PROC_NET_H
#define AX_PROC_NET_H

#include <stddef.h>
#include <stdint.h>

#define PN_SOCKETS_MAX 65536
#define PN_TCP_LISTEN 0x0A
#define PN_TCP_CLOSE 0x07 /* an unconnected UDP socket's state */

struct pn_socket {
	int udp;                   /* 0: TCP, 1: UDP */
	int family;                /* AF_INET or AF_INET6 */
	unsigned char addr[16];    /* network order; IPv4 in the first 4 bytes */
	uint16_t port;             /* host order */
	unsigned char raddr[16];
	uint16_t rport;
	unsigned state;
	unsigned uid;
	unsigned long inode;
};

struct pn_table {
	struct pn_socket *s;
	size_t n, alloc;
};

/* Appends the sockets of one file's text. */
int pn_parse(struct pn_table *t, const char *text, size_t len, int udp, int family, const char *origin);
void pn_release(struct pn_table *t);
/* A socket that accepts: TCP in LISTEN, UDP unconnected (remote port 0). */
int pn_listening(const struct pn_socket *s);
/* Bound to a loopback address only (127.0.0.0/8, ::1, ::ffff:127.x). */
/* 1 for an AF_INET6 socket on a v4-mapped address (::ffff:a.b.c.d): it
 * takes IPv4 traffic only. */
int pn_v4_mapped(const struct pn_socket *s);
int pn_loopback(const struct pn_socket *s);
/* "127.0.0.1", "::", "[::1]"-free text form into out. */
void pn_addr_text(const struct pn_socket *s, char out[static 48]);

#endif
