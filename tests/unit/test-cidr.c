/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nfsroot_cidr_parse/format/contains over a table of good and bad inputs. */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "virt-nfsroot/virt-nfsroot.h"

static void parse_case(const char *in, const char *want)
{
    nfsroot_cidr c;
    char buf[64];
    int r = nfsroot_cidr_parse(in, &c);
    const char *got = r < 0 ? "invalid" : nfsroot_cidr_format(&c, buf, sizeof(buf));
    CHECKF(strcmp(got, want) == 0, "parse '%s': want '%s', got '%s'", in, want, got);
}

static void contains_case(const char *outer, const char *inner, int want)
{
    nfsroot_cidr o, i;
    CHECKF(nfsroot_cidr_parse(outer, &o) == 0 && nfsroot_cidr_parse(inner, &i) == 0 &&
               nfsroot_cidr_contains(&o, &i) == want,
           "contains %s ⊇ %s: want %d", outer, inner, want);
}

int main(void)
{
    parse_case("192.168.122.0/24", "192.168.122.0/24");
    parse_case("192.168.122.7", "192.168.122.7/32");
    parse_case("10.0.0.0/8", "10.0.0.0/8");
    parse_case("0.0.0.0/0", "0.0.0.0/0");
    parse_case("fd00::/64", "fd00::/64");
    parse_case("FD00:0::1", "fd00::1/128");
    parse_case("::/0", "::/0");
    parse_case("192.168.122.1/24", "invalid"); /* host bits */
    parse_case("192.168.122.0/33", "invalid");
    parse_case("192.168.122.0/", "invalid");
    parse_case("192.168.122.0/024", "invalid");
    parse_case("192.168.122.0/-1", "invalid");
    parse_case("192.168.122.0/24 ", "invalid");
    parse_case(" 192.168.122.0/24", "invalid");
    parse_case("*", "invalid");
    parse_case("host.example", "invalid");
    parse_case("@netgroup", "invalid");
    parse_case("192.168.122", "invalid");
    parse_case("0x7f000001", "invalid");
    parse_case("fe80::1%eth0", "invalid");
    parse_case("::ffff:192.168.122.7", "::ffff:192.168.122.7/128");
    parse_case("", "invalid");
    parse_case("/24", "invalid");

    contains_case("192.168.122.0/24", "192.168.122.7", 1);
    contains_case("192.168.122.0/24", "192.168.122.0/24", 1);
    contains_case("192.168.122.0/24", "192.168.0.0/16", 0);
    contains_case("192.168.122.0/24", "192.168.123.1", 0);
    contains_case("192.168.122.0/24", "fd00::1", 0);
    contains_case("fd00::/64", "fd00::5", 1);
    contains_case("fd00::/64", "fd00:0:0:1::5", 0);
    contains_case("0.0.0.0/0", "8.8.8.8", 1);

    return test_summary();
}
