/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot create: the command's face. Its option table, the options read into create_opts
 * and checked together (usage errors before anything is touched), then create_run(). */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "ctx.h"

static int cmd_create(int argc, char **argv);

enum {
    OPT_RELEASE = CLI_KEY_FIRST,
    OPT_MIRROR,
    OPT_TARBALL,
    OPT_FROM_DIR,
    OPT_NETWORK,
    OPT_PIN,
    OPT_MEMORY,
    OPT_VCPUS,
    OPT_SSH_KEY,
    OPT_ROOT_PW,
    OPT_PACKAGES,
    OPT_PATH,
    OPT_REUSE,
    OPT_BOOT_IN_EXPORT,
    OPT_START,
    OPT_DRY,
    OPT_VIRT_TYPE,
    OPT_CACHE_ONLY,
    OPT_NO_PIN,
    OPT_CACHE_LIST,
    OPT_CACHE_PRUNE,
    OPT_CLONE_OF,
    OPT_NO_ASLR,
};

const cli_command cli_cmd_create = {
    CLI_COMMAND_TEXT(create),
    .args = "NAME",
    .opts =
        (const cli_opt[]){
            { "release", OPT_RELEASE, CLI_ARG, "REL", "Debian release (default trixie)",
              "trixie bookworm" },
            { "mirror", OPT_MIRROR, CLI_ARG, "URL",
              "Debian mirror (default: the host's apt sources)", NULL },
            { "from-tarball", OPT_TARBALL, CLI_ARG, "FILE",
              "unpack this root tree (tar, gz, xz, zstd) instead", "@file" },
            { "from-dir", OPT_FROM_DIR, CLI_ARG, "DIR", "copy this root tree instead", "@dir" },
            { "clone-of", OPT_CLONE_OF, CLI_ARG, "GUEST",
              "copy this stopped guest's tree (made by create) instead", "@domain" },
            { "network", OPT_NETWORK, CLI_ARG, "NET", "libvirt network (default 'default')", NULL },
            { "pin-address", OPT_PIN, CLI_OPT_ARG, "IP",
              "the guest's static DHCP address: IP (default: the next free)", NULL },
            { "no-pin-address", OPT_NO_PIN, CLI_NO_ARG, NULL,
              "no static address: export to the whole network", NULL },
            { "memory", OPT_MEMORY, CLI_ARG, "SIZE", "memory, MiB or with M/G (default 1G)", NULL },
            { "vcpus", OPT_VCPUS, CLI_ARG, "N", "virtual CPUs (default 2)", NULL },
            { "no-aslr", OPT_NO_ASLR, CLI_NO_ARG, NULL,
              "boot with norandmaps: no ASLR in the guest (a TCG guest boots sooner)", NULL },
            { "virt-type", OPT_VIRT_TYPE, CLI_ARG, "TYPE",
              "kvm or qemu (default kvm where libvirt can run it)", "kvm qemu" },
            { "ssh-key", OPT_SSH_KEY, CLI_ARG, "FILE", "a public key for root's ssh login",
              "@file" },
            { "root-password-file", OPT_ROOT_PW, CLI_ARG, "FILE",
              "root's password, read from FILE (never in argv)", "@file" },
            { "packages", OPT_PACKAGES, CLI_ARG, "P,...", "more Debian packages", NULL },
            { "path", OPT_PATH, CLI_ARG, "DIR", "the root tree (default <first export root>/NAME)",
              "@dir" },
            { "reuse", OPT_REUSE, CLI_NO_ARG, NULL,
              "resume an interrupted run, or configure an existing tree as it is", NULL },
            { "boot-in-export", OPT_BOOT_IN_EXPORT, CLI_NO_ARG, NULL,
              "boot from the tree's /boot, not the policy's boot directory", NULL },
            { "start", OPT_START, CLI_NO_ARG, NULL, "start the guest once it is defined", NULL },
            { "cache-only", OPT_CACHE_ONLY, CLI_NO_ARG, NULL,
              "only fill the tree cache for --release/--packages (no NAME, no domain)", NULL },
            { "dry-run", OPT_DRY, CLI_NO_ARG, NULL, "check the request, change nothing", NULL },
            { "cache-list", OPT_CACHE_LIST, CLI_NO_ARG, NULL, "list the tree cache", NULL },
            { "cache-prune", OPT_CACHE_PRUNE, CLI_OPT_ARG, "all",
              "remove unusable and month-old cache entries (=all: every one)", "all" },
            { 0 } },
    .sets = (const cli_set[]){ CLI_SET_STRING(OPT_TARBALL, create_opts, from_tarball),
                               CLI_SET_STRING(OPT_SSH_KEY, create_opts, ssh_key),
                               CLI_SET_STRING(OPT_ROOT_PW, create_opts, root_password_file),
                               CLI_SET_STRING(OPT_FROM_DIR, create_opts, from_dir),
                               CLI_SET_STRING(OPT_CLONE_OF, create_opts, clone_of),
                               CLI_SET_STRING(OPT_NETWORK, create_opts, network),
                               CLI_SET_FLAG(OPT_NO_PIN, create_opts, no_pin),
                               CLI_SET_FLAG(OPT_NO_ASLR, create_opts, no_aslr),
                               CLI_SET_STRING(OPT_PACKAGES, create_opts, packages),
                               CLI_SET_STRING(OPT_PATH, create_opts, path),
                               CLI_SET_FLAG(OPT_REUSE, create_opts, reuse),
                               CLI_SET_FLAG(OPT_BOOT_IN_EXPORT, create_opts, boot_in_export),
                               CLI_SET_FLAG(OPT_START, create_opts, start),
                               CLI_SET_FLAG(OPT_CACHE_ONLY, create_opts, cache_only),
                               CLI_SET_FLAG(OPT_DRY, create_opts, dry_run),
                               CLI_SET_FLAG(OPT_CACHE_LIST, create_opts, cache_list),
                               { 0 } },
    .run = cmd_create,
};

/* "1024", "512M", "1G", "2GiB" -> MiB; 0 when unreadable or below 128 MiB. */
static unsigned long parse_memory(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return 0;
    if (*end == 'G' || *end == 'g')
        v *= 1024, end++;
    else if (*end == 'M' || *end == 'm')
        end++;
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v < 128 || v > 16ULL * 1024 * 1024)
        return 0;
    return (unsigned long)v;
}

/* --release: one of lib/guest's Debian releases (its table, not a second list here). */
static int release_check(const char *arg)
{
    nfsroot_error err = { 0 };
    nfsroot_guest_profile *p = NULL;
    int r = nfsroot_guest_profile_new("debian", arg, &p, &err);
    nfsroot_guest_profile_free(p);
    return r < 0 ? cli_usage_error("create", "--release: %s", err.message) : 0;
}

/* --vcpus: 1 to 256, else 0. */
static unsigned long parse_vcpus(const char *arg)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    return errno || *end || v < 1 || v > 256 ? 0 : v;
}

static int create_opt(void *userdata, int key, const char *arg, int argc, char **argv)
{
    create_opts *o = userdata;
    switch (key) {
    case OPT_RELEASE:
        o->release = arg;
        return release_check(arg);
    case OPT_MIRROR:
        if (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8) &&
            strncmp(arg, "file:///", 8))
            return cli_usage_error("create", "--mirror '%s' is not an http(s):// or file:// URL",
                                   arg);
        o->mirror = arg;
        break;
    case OPT_TARBALL:
        return cli_file_arg_check("create", "--from-tarball", arg);
    case OPT_PIN:
        o->pin = true;
        o->pin_ip = annotate_pin_arg(arg, argc, argv);
        break;
    case OPT_MEMORY:
        if (!(o->memory_mib = parse_memory(arg)))
            return cli_usage_error("create",
                                   "--memory '%s' is not a size of at least 128 MiB "
                                   "(e.g. 1024, 512M, 2G)",
                                   arg);
        break;
    case OPT_VCPUS:
        if (!(o->vcpus = parse_vcpus(arg)))
            return cli_usage_error("create", "--vcpus '%s' is not a number from 1 to 256", arg);
        break;
    case OPT_VIRT_TYPE:
        if (strcmp(arg, "kvm") && strcmp(arg, "qemu"))
            return cli_usage_error("create", "--virt-type takes 'kvm' or 'qemu', not '%s'", arg);
        o->virt_type = arg;
        break;
    case OPT_SSH_KEY:
        return cli_file_arg_check("create", "--ssh-key", arg);
    case OPT_ROOT_PW:
        return cli_file_arg_check("create", "--root-password-file", arg);
    case OPT_CACHE_PRUNE:
        if (arg && strcmp(arg, "all"))
            return cli_usage_error("create", "--cache-prune takes '=all' or nothing, not '%s'",
                                   arg);
        o->cache_prune = true;
        o->cache_prune_all = arg != NULL;
        break;
    }
    return 0;
}

/* Packages are Debian names, comma-separated: nothing a shell or apt could read otherwise. */
static bool packages_ok(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("+-.,:", *p)))
            return false;
    return s[0] && s[0] != ',' && s[0] != '-';
}

static int check_args(create_opts *o, int argc, char **argv)
{
    if (o->cache_list || o->cache_prune) {
        if (optind < argc || o->cache_only || (o->cache_list && o->cache_prune))
            return cli_usage_error("create", "--cache-list and --cache-prune stand alone");
        o->name = "cache";
        return EXIT_OK;
    }
    if (o->cache_only) {
        if (optind < argc)
            return cli_usage_error("create", "--cache-only takes no NAME");
        if (o->from_tarball || o->from_dir || o->start || o->pin || o->path || o->reuse)
            return cli_usage_error("create", "--cache-only fills the Debian tree cache only: "
                                             "no --from-*, --path, --reuse, --pin-address or "
                                             "--start");
        o->name = "cache";
    } else {
        if (optind >= argc)
            return cli_usage_error("create", "which guest? Give its NAME");
        if (optind + 1 < argc)
            return cli_usage_error("create", "unexpected argument '%s'", argv[optind + 1]);
        o->name = argv[optind];
        if (!nfsroot_domain_name_ok(o->name, true)) {
            cli_error("create: '%s' is not a valid guest name: use at most 63 letters, digits "
                      "and '-', not starting with '-' (it is the domain name, the hostname and "
                      "the tree's directory)",
                      o->name);
            return EXIT_USAGE;
        }
    }
    if (!!o->from_tarball + !!o->from_dir + !!o->clone_of > 1)
        return cli_usage_error("create", "give one of --from-tarball, --from-dir and --clone-of");
    if (o->clone_of && (o->cache_only || o->reuse))
        return cli_usage_error("create", "--clone-of makes a new tree: no --cache-only or --reuse");
    if (o->no_aslr && o->cache_only)
        return cli_usage_error("create", "--no-aslr is for a guest's cmdline, not --cache-only");
    if (o->pin && o->no_pin)
        return cli_usage_error("create", "give --pin-address or --no-pin-address, not both");
    /* Pinned unless told otherwise: the first guest is exported to itself alone (issue 22). */
    o->pin = !o->cache_only && !o->no_pin;
    if ((o->from_tarball || o->from_dir || o->clone_of) && (o->release || o->mirror || o->packages))
        return cli_usage_error("create", "--release, --mirror and --packages are for "
                                         "debootstrap, not for a given tree");
    if (o->packages && !packages_ok(o->packages))
        return cli_usage_error("create",
                               "--packages '%s' is not a comma-separated list of "
                               "Debian package names",
                               o->packages);
    if (o->path && o->path[0] != '/')
        return cli_usage_error("create", "--path '%s' is not an absolute path", o->path);
    if (!o->release)
        o->release = "trixie";
    if (!o->network)
        o->network = "default";
    if (!o->memory_mib)
        o->memory_mib = 1024;
    /* Two: a root on NFS boots by many small programs at once (systemd's units, udev's
     * workers), and under TCG each vCPU is a host thread of its own (docs/PERFORMANCE.md,
     * part 7). An idle second vCPU costs a KVM host nothing. */
    if (!o->vcpus)
        o->vcpus = 2;
    /* No --virt-type: create_domain_precheck() asks libvirt what it can run. */
    return EXIT_OK;
}

static int cmd_create(int argc, char **argv)
{
    create_opts o = { 0 };
    int c = cli_parse(&cli_cmd_create, argc, argv, create_opt, &o, -1);
    if (c < 0)
        return cli_parse_exit(c);
    int r = check_args(&o, argc, argv);
    /* What create makes is read by QEMU's user and the guest: the modes it names, not the
     * caller's umask (077 left the boot files unreadable to libvirt-qemu); its programs too. */
    umask(022);
    return r != EXIT_OK ? r : create_run(&o);
}
