/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nfsroot_tcp_close_from() against real sockets, in the network namespace test-tcp-close.sh
 * makes (10.9.0.1-3 and fd00:9::1-2 on its loopback): a dual-stack listener on :2049 (as
 * ganesha's) and one on :2050; connections from the "guest" (10.9.0.2, fd00:9::2), from another
 * address (10.9.0.3) and from the guest to the other port. Closing the guest's connections to
 * 2049 must end exactly those (the guest's side sees RST), and leave the others working. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "test.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

typedef struct {
    int client, server;
} conn;

static int listener(uint16_t port)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), off = 0, on = 1;
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
    if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
        perror("listener");
        exit(1);
    }
    return fd;
}

static void fill(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof(*a4);
    } else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof(*a6);
    } else {
        fprintf(stderr, "bad address %s\n", addr);
        exit(1);
    }
}

static conn connect_from(int lfd, const char *from, const char *to, uint16_t port)
{
    struct sockaddr_storage src, dst;
    socklen_t slen, dlen;
    fill(from, 0, &src, &slen);
    fill(to, port, &dst, &dlen);
    conn c = { socket(src.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), -1 };
    if (c.client < 0 || bind(c.client, (struct sockaddr *)&src, slen) < 0 ||
        connect(c.client, (struct sockaddr *)&dst, dlen) < 0 ||
        (c.server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
        fprintf(stderr, "connect %s -> %s:%u: %s\n", from, to, port, strerror(errno));
        exit(1);
    }
    return c;
}

/* A byte from the client reaches the server and one back: the connection works. */
static bool alive(const conn *c)
{
    char b = 'x';
    struct pollfd p = { c->server, POLLIN, 0 };
    if (send(c->client, &b, 1, MSG_NOSIGNAL) != 1 || poll(&p, 1, 2000) != 1 ||
        recv(c->server, &b, 1, 0) != 1 || send(c->server, &b, 1, MSG_NOSIGNAL) != 1)
        return false;
    p.fd = c->client;
    return poll(&p, 1, 2000) == 1 && recv(c->client, &b, 1, 0) == 1;
}

/* The client's side got RST (or FIN) within 2 s, and the server's side is gone. */
static bool closed(const conn *c)
{
    char b = 'x';
    send(c->client, &b, 1, MSG_NOSIGNAL); /* the segment the peer answers with RST */
    struct pollfd p = { c->client, POLLIN, 0 };
    if (poll(&p, 1, 2000) != 1)
        return false;
    ssize_t n = recv(c->client, &b, 1, MSG_DONTWAIT);
    bool client_gone = n == 0 || (n < 0 && errno == ECONNRESET);
    n = recv(c->server, &b, 1, MSG_DONTWAIT);
    return client_gone && (n == 0 || (n < 0 && errno != EAGAIN));
}

static int close_from(const char *addr, unsigned *n)
{
    nfsroot_error err = NFSROOT_ERROR_INIT;
    int r = nfsroot_tcp_close_from(addr, 2049, n, &err);
    if (r < 0)
        printf("# %s: %s\n", addr, err.message);
    return r;
}

int main(void)
{
    int nfs = listener(2049), other = listener(2050);
    conn guest = connect_from(nfs, "10.9.0.2", "10.9.0.1", 2049);
    conn peer = connect_from(nfs, "10.9.0.3", "10.9.0.1", 2049);
    conn port = connect_from(other, "10.9.0.2", "10.9.0.1", 2050);
    conn guest6 = connect_from(nfs, "fd00:9::2", "fd00:9::1", 2049);
    CHECK(alive(&guest) && alive(&peer) && alive(&port) && alive(&guest6));

    unsigned n = 99;
    CHECK(close_from("10.9.0.2", &n) == 0);
    CHECKF(n == 1, "IPv4 guest: closed %u connections, want 1", n);
    CHECKF(closed(&guest), "the guest's connection to 2049 is closed");
    CHECKF(alive(&peer), "another address's connection to 2049 works");
    CHECKF(alive(&port), "the guest's connection to 2050 works");
    CHECKF(alive(&guest6), "the IPv6 guest's connection works");

    CHECK(close_from("fd00:9::2", &n) == 0);
    CHECKF(n == 1, "IPv6 guest: closed %u connections, want 1", n);
    CHECKF(closed(&guest6), "the IPv6 guest's connection is closed");
    CHECKF(alive(&peer) && alive(&port), "the others still work");

    CHECK(close_from("10.9.0.2", &n) == 0 && n == 0);
    CHECK(close_from("10.9.0.0/24", &n) == -EINVAL);
    CHECK(close_from("guest", &n) == -EINVAL);
    CHECKF(alive(&peer) && alive(&port), "the others still work at the end");
    return test_summary();
}
