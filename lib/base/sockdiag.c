/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Closing this host's TCP connections from one remote address to one local port (the NFS
 * server's stale connections from a guest that left, docs/MIGRATION.md), over NETLINK_SOCK_DIAG:
 * one SOCK_DIAG_BY_FAMILY dump per family, filtered in the kernel by the port and the remote
 * address (inet_diag bytecode), then SOCK_DESTROY per socket found (CONFIG_INET_DIAG_DESTROY).
 * The peer gets RST. Nothing is shelled out; at most NFSROOT_TCP_CLOSE_MAX sockets are handled. */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base.h"

#define NFSROOT_TCP_CLOSE_MAX 64

/* Every TCP state with a peer: a listener has none, a TIME_WAIT or SYN_RECV mini-socket cannot
 * be destroyed (and holds nothing a guest waits on). */
#define STATES                                                                                     \
    (((1U << (TCP_CLOSING + 1)) - 1) & ~(1U << TCP_LISTEN) & ~(1U << TCP_TIME_WAIT) & ~1U)

typedef struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
    struct nlattr nla;
    struct inet_diag_bc_op op;
    /* struct inet_diag_hostcond and its address: the struct ends in a flexible array, so it is
     * copied into bytes (C has no such struct inside another but at its end). */
    uint8_t cond[sizeof(struct inet_diag_hostcond) + 16] __attribute__((aligned(4)));
} dump_req;

typedef struct {
    uint8_t family;
    struct inet_diag_sockid id;
} found_sock;

/* The filter: remote address == addr (all of it, any remote port); else reject (jump past the
 * end). The kernel matches an IPv4 condition against an IPv4-mapped IPv6 socket too. */
typedef struct {
    int family;
    uint8_t addr[16];
} peer_addr;

static size_t build_dump(dump_req *m, uint8_t family, const peer_addr *addr, uint16_t port)
{
    size_t alen = addr->family == AF_INET ? 4 : 16;
    struct inet_diag_hostcond cond = { .family = (uint8_t)addr->family,
                                       .prefix_len = (uint8_t)(alen * 8),
                                       .port = -1 };
    size_t bc = sizeof(m->op) + sizeof(cond) + alen;
    memset(m, 0, sizeof(*m));
    m->nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    m->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    m->nlh.nlmsg_seq = family;
    m->req.sdiag_family = family;
    m->req.sdiag_protocol = IPPROTO_TCP;
    m->req.idiag_states = STATES;
    m->req.id.idiag_sport = htons(port);
    m->req.id.idiag_cookie[0] = m->req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    m->nla.nla_type = INET_DIAG_REQ_BYTECODE;
    m->nla.nla_len = (uint16_t)(NLA_HDRLEN + bc);
    m->op.code = INET_DIAG_BC_D_COND;
    m->op.yes = (uint16_t)bc;
    m->op.no = (uint16_t)(bc + 4);
    memcpy(m->cond, &cond, sizeof(cond));
    memcpy(m->cond + sizeof(cond), addr->addr, alen);
    m->nlh.nlmsg_len = (uint32_t)(offsetof(dump_req, op) + bc);
    return m->nlh.nlmsg_len;
}

/* One netlink reply of up to 32 KiB; -errno of an NLMSG_ERROR, 1 at NLMSG_DONE. */
static int read_dump(int fd, uint16_t port, found_sock *out, size_t *n, size_t *seen)
{
    char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
    ssize_t len = recv(fd, buf, sizeof(buf), 0);
    if (len < 0)
        return -errno;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
         h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_type == NLMSG_DONE)
            return 1;
        if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(h);
            return h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ? -EBADMSG : e->error;
        }
        const struct inet_diag_msg *d = NLMSG_DATA(h);
        if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*d)) ||
            d->id.idiag_sport != htons(port))
            continue; /* the kernel filtered on the port: trust nothing it did not */
        if ((*seen)++ < NFSROOT_TCP_CLOSE_MAX)
            out[(*n)++] = (found_sock){ d->idiag_family, d->id };
    }
    return 0;
}

static int dump_family(int fd, uint8_t family, const peer_addr *addr, uint16_t port,
                       found_sock *out, size_t *n, size_t *seen)
{
    dump_req m;
    size_t len = build_dump(&m, family, addr, port);
    if (send(fd, &m, len, 0) < 0)
        return -errno;
    int r;
    while ((r = read_dump(fd, port, out, n, seen)) == 0)
        ;
    return r < 0 ? r : 0;
}

/* 0, -ENOENT (gone meanwhile), -EOPNOTSUPP (no CONFIG_INET_DIAG_DESTROY), or another -errno. */
static int destroy_one(int fd, const found_sock *s)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } m = { 0 };
    m.nlh.nlmsg_len = sizeof(m);
    m.nlh.nlmsg_type = SOCK_DESTROY;
    m.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    m.req.sdiag_family = s->family;
    m.req.sdiag_protocol = IPPROTO_TCP;
    m.req.idiag_states = STATES;
    m.req.id = s->id;
    if (send(fd, &m, sizeof(m), 0) < 0)
        return -errno;
    char buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
    ssize_t len = recv(fd, buf, sizeof(buf), 0);
    if (len < 0)
        return -errno;
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (!NLMSG_OK(h, (size_t)len) || h->nlmsg_type != NLMSG_ERROR ||
        h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
        return -EBADMSG;
    return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

static int close_found(int fd, const char *remote, const found_sock *s, size_t n, unsigned *closed,
                       nfsroot_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int r = destroy_one(fd, &s[i]);
        if (r == -ENOENT)
            continue;
        if (r == -EOPNOTSUPP)
            return nfsroot_err(err, r, NULL, NULL, NULL, 0,
                               "cannot close the connections from %s: this kernel cannot destroy "
                               "sockets (CONFIG_INET_DIAG_DESTROY)",
                               remote);
        if (r < 0)
            return nfsroot_err(err, r, NULL, NULL, NULL, 0, "cannot close a connection from %s: %s",
                               remote, strerror(-r));
        (*closed)++;
    }
    return 0;
}

int nfsroot_tcp_close_from(const char *remote, uint16_t port, unsigned *closed, nfsroot_error *err)
{
    *closed = 0;
    peer_addr addr = { AF_INET, { 0 } };
    if (inet_pton(AF_INET, remote, addr.addr) != 1 &&
        inet_pton(addr.family = AF_INET6, remote, addr.addr) != 1)
        return nfsroot_err(err, -EINVAL, NULL, NULL, NULL, 0, "'%.64s' is not one address", remote);
    _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return nfsroot_err(err, -errno, NULL, NULL, NULL, 0, "cannot open NETLINK_SOCK_DIAG: %s",
                           strerror(errno));
    found_sock found[NFSROOT_TCP_CLOSE_MAX];
    size_t n = 0, seen = 0;
    /* An IPv4 peer of a dual-stack listener (ganesha's) is an AF_INET6 socket. */
    int r = dump_family(fd, AF_INET6, &addr, port, found, &n, &seen);
    if (r == 0 && addr.family == AF_INET)
        r = dump_family(fd, AF_INET, &addr, port, found, &n, &seen);
    if (r < 0)
        return nfsroot_err(err, r, NULL, NULL, NULL, 0,
                           "cannot list the connections from %s to port %u: %s", remote, port,
                           strerror(-r));
    r = close_found(fd, remote, found, n, closed, err);
    if (r < 0)
        return r;
    if (seen > n)
        return nfsroot_err(err, -E2BIG, NULL, NULL, NULL, 0,
                           "%zu connections from %s to port %u, closed only the first %u", seen,
                           remote, port, *closed);
    return 0;
}
