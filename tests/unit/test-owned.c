/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ownership record's format (lib/core/owned.c): what create and annotate write reads back field
 * by field; anything that would not be written exactly so is refused whole, as is a value that
 * cannot be recorded. Then the files: written 0600 in a 0700 directory, found by UUID, removed.
 * No root needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

#define UUID "4b1c2d3e-1111-2222-3333-444455556666"
#define HEAD "virt-nfsroot-owned 1\nuuid " UUID "\nname vm 1\n"
#define PIN "pin 52:54:00:aa:00:01 192.168.122.7 my net\n"
#define TREE "tree 2049 131 /export/vm 1\n"

static int parse(const char *text)
{
    nfsroot_owned o;
    nfsroot_error err = { 0 };
    return nfsroot_owned_parse(text, strlen(text), &o, &err);
}

static void good(void)
{
    const char text[] = HEAD PIN TREE "end\n";
    nfsroot_owned o;
    nfsroot_error err = { 0 };
    CHECK(nfsroot_owned_parse(text, strlen(text), &o, &err) == 0);
    CHECK(!strcmp(o.uuid, UUID) && !strcmp(o.name, "vm 1"));
    CHECK(o.has_pin && !strcmp(o.pin_mac, "52:54:00:aa:00:01") &&
          !strcmp(o.pin_ip, "192.168.122.7") && !strcmp(o.pin_network, "my net"));
    CHECK(o.has_tree && o.tree_dev == 2049 && o.tree_ino == 131 && !strcmp(o.tree, "/export/vm 1"));
    char *back = NULL;
    CHECK(nfsroot_owned_format(&o, &back) == 0 && back && !strcmp(back, text));
    free(back);
    CHECK(parse(HEAD "end\n") == 0);
    CHECK(parse(HEAD TREE "end\n") == 0);
}

static void refused(void)
{
    static const char *const bad[] = {
        HEAD PIN TREE,         /* no end */
        HEAD TREE PIN "end\n", /* out of order */
        HEAD PIN PIN "end\n",  /* twice */
        HEAD "end\nend\n",     /* after the end */
        HEAD "end",            /* cut */
        HEAD "end\r\n",        /* CRLF */
        HEAD "owner 0\nend\n", /* unknown line */
        "virt-nfsroot-owned 2\nuuid " UUID "\nname vm\nend\n",
        "virt-nfsroot-owned 1\nuuid 4B1C2D3E-1111-2222-3333-444455556666\nname vm\nend\n",
        "virt-nfsroot-owned 1\nuuid " UUID "\nname \nend\n",
        "virt-nfsroot-owned 1\nuuid " UUID "\nname v\tm\nend\n",
        "virt-nfsroot-owned 1\nname vm\nuuid " UUID "\nend\n",
        HEAD "pin 52:54:00:AA:00:01 192.168.122.7 default\nend\n",
        HEAD "pin 52:54:00:aa:00:1 192.168.122.7 default\nend\n",
        HEAD "pin 52:54:00:aa:00:01 192.168.122.07 default\nend\n",
        HEAD "pin 52:54:00:aa:00:01 fd00::7 default\nend\n",
        HEAD "pin 52:54:00:aa:00:01 192.168.122.7\nend\n",
        HEAD "tree 02049 131 /export/vm\nend\n",
        HEAD "tree 2049 -1 /export/vm\nend\n",
        HEAD "tree 2049 18446744073709551616 /export/vm\nend\n",
        HEAD "tree 2049 131 export/vm\nend\n",
        HEAD "tree 2049 131 /export/../etc\nend\n",
        HEAD "tree 2049 131 /export/vm/\nend\n",
        HEAD "tree 2049 131 /export/\033]0;x\007\nend\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECKF(parse(bad[i]) == -EBADMSG, "bad record %zu is refused", i);
    const char nul[] = HEAD "end\n\0";
    nfsroot_owned o;
    nfsroot_error err = { 0 };
    CHECK(nfsroot_owned_parse(nul, sizeof(nul) - 1, &o, &err) == -EBADMSG);
    CHECK(strstr(err.message, "does not read back as written") != NULL);
}

static void setters(void)
{
    nfsroot_owned o;
    nfsroot_error err = { 0 };
    CHECK(nfsroot_owned_init(&o, "not-a-uuid", "vm", &err) == -EINVAL);
    CHECK(nfsroot_owned_init(&o, UUID, "v\nm", &err) == -EINVAL);
    CHECK(nfsroot_owned_init(&o, UUID, "vm", &err) == 0);
    CHECK(nfsroot_owned_set_pin(&o, "default", "52:54:00:aa:00:01", "10.0.0.256", &err) == -EINVAL);
    CHECK(nfsroot_owned_set_pin(&o, "def\nault", "52:54:00:aa:00:01", "10.0.0.1", &err) == -EINVAL);
    CHECK(!o.has_pin);
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(nfsroot_owned_set_tree(&o, "/a/./b", fd, &err) == -EINVAL);
    close(fd);
    CHECK(!o.has_tree);
}

/* Written, found by UUID and by listing, removed; a directory others may write is refused. */
static void files(void)
{
    char dir[] = "/tmp/nfsroot-owned.XXXXXX", sub[64], conf[96];
    if (!mkdtemp(dir))
        exit(99);
    snprintf(sub, sizeof(sub), "%s/owned", dir);
    snprintf(conf, sizeof(conf), "%s/policy.conf", dir);
    FILE *f = fopen(conf, "we");
    if (!f || fprintf(f, "owned_dir = %s\n", sub) < 0 || fclose(f) != 0)
        exit(99);
    nfsroot_policy *p = NULL;
    nfsroot_error err = { 0 };
    if (nfsroot_policy_load(conf, &p, &err) < 0)
        exit(99);
    nfsroot_owned o, back, *all = NULL;
    size_t n = 9;
    CHECK(nfsroot_owned_load_all(p, &all, &n, &err) == 0 && n == 0 && !all);
    CHECK(nfsroot_owned_load(p, UUID, &back, &err) == -ENOENT);
    CHECK(nfsroot_owned_init(&o, UUID, "vm", &err) == 0);
    CHECK(nfsroot_owned_set_pin(&o, "default", "52:54:00:aa:00:01", "10.0.0.1", &err) == 0);
    CHECK(nfsroot_owned_write(p, &o, &err) == 0);
    struct stat st;
    char file[128];
    snprintf(file, sizeof(file), "%s/" UUID ".owned", sub);
    CHECK(stat(sub, &st) == 0 && (st.st_mode & 07777) == 0700);
    CHECK(stat(file, &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK(nfsroot_owned_load(p, UUID, &back, &err) == 0 && back.has_pin &&
          !strcmp(back.pin_ip, "10.0.0.1"));
    CHECK(nfsroot_owned_load_all(p, &all, &n, &err) == 0 && n == 1 && !strcmp(all[0].name, "vm"));
    free(all);
    CHECK(chmod(sub, 0770) == 0);
    CHECK(nfsroot_owned_load(p, UUID, &back, &err) == -EPERM);
    CHECK(chmod(sub, 0700) == 0);
    CHECK(nfsroot_owned_remove(p, UUID, &err) == 0 && access(file, F_OK) < 0);
    CHECK(nfsroot_owned_remove(p, UUID, &err) == 0);
    nfsroot_policy_free(p);
    rmdir(sub);
    unlink(conf);
    rmdir(dir);
}

int main(void)
{
    good();
    refused();
    setters();
    files();
    return test_summary();
}
