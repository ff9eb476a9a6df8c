/* The NFS-Ganesha backend: one EXPORT block file per export, made live over D-Bus.
 *
 * For each export of a plan we write <ganesha_exports_dir>/virt-nfsroot-<uuid>-<id>.conf and
 * call org.ganesha.nfsd.exportmgr.AddExport (UpdateExport when the id is already live, so a
 * re-apply changes clients without a window where the guest loses its root). Export ids come
 * from policy's [ganesha_export_id_min, max], recorded in <state_dir>/ganesha/export-ids so a
 * path keeps its id across re-applies and ids never collide with each other or with exports
 * ganesha already has. Ganesha 4.3 cannot %include a directory, so we also keep
 * <ganesha_exports_dir>/virt-nfsroot-index.conf, one %include per live export file: the
 * server's main config includes that file and a ganesha restart brings the exports back.
 *
 * libdbus is used with a private, blocking connection: the hook is short-lived and has no main
 * loop. The connection never exits the process and never changes SIGPIPE handling.
 */
#include <dbus/dbus.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>

#include "backend/backend.h"

#define GANESHA_SERVICE "org.ganesha.nfsd"
#define GANESHA_OBJECT "/org/ganesha/nfsd/ExportMgr"
#define GANESHA_IFACE "org.ganesha.nfsd.exportmgr"
#define GANESHA_TIMEOUT_MS 15000
#define DEFAULT_SYSTEM_BUS "unix:path=/var/run/dbus/system_bus_socket"
#define INDEX_NAME "virt-nfsroot-index.conf"
#define IDS_NAME "export-ids"
#define IDS_MAX_SIZE (4u << 20)

/* ------------------------------------------------------------------------------------------ */
/* The id table: "<id> <domain uuid> <path>" lines, path last so it may contain spaces. */

typedef struct id_record {
    uint16_t id;
    char uuid[37];
    char *path;
} id_record;

typedef struct id_table {
    id_record *v;
    size_t n;
    char *dir; /* <state_dir>/ganesha */
    int lock_fd;
} id_table;

static void id_table_done(id_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].path);
    free(t->v);
    free(t->dir);
    if (t->lock_fd >= 0)
        close(t->lock_fd); /* drops the flock */
    memset(t, 0, sizeof(*t));
    t->lock_fd = -1;
}

static id_record *id_table_find_path(id_table *t, const char *path)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].path, path) == 0)
            return &t->v[i];
    return NULL;
}

static bool id_table_has_id(const id_table *t, uint16_t id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].id == id)
            return true;
    return false;
}

static int id_table_add(id_table *t, uint16_t id, const char *uuid, const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    id_record *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
    if (!nv) {
        free(copy);
        return -ENOMEM;
    }
    t->v = nv;
    t->v[t->n].id = id;
    snprintf(t->v[t->n].uuid, sizeof(t->v[t->n].uuid), "%s", uuid);
    t->v[t->n].path = copy;
    t->n++;
    return 0;
}

static void id_table_drop(id_table *t, id_record *r)
{
    size_t i = (size_t)(r - t->v);
    free(r->path);
    memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*r));
    t->n--;
}

static int parse_record(char *line, id_record *ret)
{
    char *end;
    errno = 0;
    unsigned long id = strtoul(line, &end, 10);
    if (errno || end == line || *end != ' ' || id == 0 || id > UINT16_MAX)
        return -EINVAL;
    char *uuid = end + 1;
    char *sp = strchr(uuid, ' ');
    if (!sp || sp - uuid != 36 || sp[1] != '/')
        return -EINVAL;
    ret->id = (uint16_t)id;
    memcpy(ret->uuid, uuid, 36);
    ret->uuid[36] = '\0';
    ret->path = sp + 1;
    return 0;
}

/* Lock and load the id table. The core's state lock is held already by apply/remove; this lock
 * also covers callers that go around the core (tests, tools) and always nests inside it. */
static int id_table_load(const nfsroot_policy *p, const char *domain, id_table *t,
                         nfsroot_error *err)
{
    memset(t, 0, sizeof(*t));
    t->lock_fd = -1;
    if (!p->state_dir)
        return nfsroot_err(err, -EINVAL, domain, "policy key 'state_dir'", p->source, 0,
                           "policy key 'state_dir' is not set; the ganesha backend records its "
                           "export ids there");
    if (asprintf(&t->dir, "%s/ganesha", p->state_dir) < 0) {
        t->dir = NULL;
        return -ENOMEM;
    }
    int r = mkdir_p(t->dir, 0755);
    if (r < 0)
        return nfsroot_err(err, r, domain, "policy key 'state_dir'", t->dir, 0,
                           "cannot create the ganesha state directory '%s': %s", t->dir,
                           strerror(-r));
    _cleanup_free_ char *lock = NULL, *file = NULL;
    if (asprintf(&lock, "%s/%s.lock", t->dir, IDS_NAME) < 0 ||
        asprintf(&file, "%s/%s", t->dir, IDS_NAME) < 0)
        return -ENOMEM;
    t->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (t->lock_fd < 0 || flock(t->lock_fd, LOCK_EX) < 0) {
        r = -errno;
        return nfsroot_err(err, r, domain, "policy key 'state_dir'", lock, 0,
                           "cannot lock '%s': %s", lock, strerror(-r));
    }
    _cleanup_free_ char *data = NULL;
    r = read_file_all(file, IDS_MAX_SIZE, &data, NULL);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return nfsroot_err(err, r, domain, "policy key 'state_dir'", file, 0,
                           "cannot read the ganesha export id table '%s': %s", file, strerror(-r));
    int lineno = 0;
    for (char *line = data, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!*line)
            continue;
        id_record rec;
        if (parse_record(line, &rec) < 0)
            return nfsroot_err(err, -EBADMSG, domain, "ganesha export ids", file, lineno,
                               "the ganesha export id table '%s' line %d is damaged ('%s'); "
                               "remove the line (or the file when no guest runs)",
                               file, lineno, line);
        r = id_table_add(t, rec.id, rec.uuid, rec.path);
        if (r < 0)
            return r;
    }
    return 0;
}

static int id_table_save(const id_table *t, const char *domain, nfsroot_error *err)
{
    size_t cap = 1;
    for (size_t i = 0; i < t->n; i++)
        cap += strlen(t->v[i].path) + 48;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    size_t len = 0;
    for (size_t i = 0; i < t->n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%u %s %s\n", t->v[i].id, t->v[i].uuid,
                                t->v[i].path);
    int r = write_file_atomic(t->dir, IDS_NAME, buf, len, 0644);
    if (r < 0)
        return nfsroot_err(err, r, domain, "ganesha export ids", t->dir, 0,
                           "cannot write the ganesha export id table in '%s': %s", t->dir,
                           strerror(-r));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* D-Bus */

/* libdbus is dlopen()ed when a bus is opened: hosts on the kernel backend never load it. */
#define DBUS_SYMS(X)                                                                               \
    X(dbus_bus_get_private)                                                                        \
    X(dbus_bus_register)                                                                           \
    X(dbus_connection_close)                                                                       \
    X(dbus_connection_open_private)                                                                \
    X(dbus_connection_send_with_reply_and_block)                                                   \
    X(dbus_connection_set_change_sigpipe)                                                          \
    X(dbus_connection_set_exit_on_disconnect)                                                      \
    X(dbus_connection_unref)                                                                       \
    X(dbus_error_free)                                                                             \
    X(dbus_error_is_set)                                                                           \
    X(dbus_message_append_args)                                                                    \
    X(dbus_message_get_signature)                                                                  \
    X(dbus_message_iter_get_arg_type)                                                              \
    X(dbus_message_iter_get_basic)                                                                 \
    X(dbus_message_iter_init)                                                                      \
    X(dbus_message_iter_next)                                                                      \
    X(dbus_message_iter_recurse)                                                                   \
    X(dbus_message_new_method_call)                                                                \
    X(dbus_message_unref)

typedef struct dbus_api {
    void *handle;
#define X(sym) typeof(sym) *sym;
    DBUS_SYMS(X)
#undef X
} dbus_api;

typedef struct bus {
    dbus_api api;
    DBusConnection *conn;
    char address[512]; /* for messages */
    const char *domain;
} bus;

static void bus_disconnect(bus *b)
{
    if (b->conn) {
        b->api.dbus_connection_close(b->conn);
        b->api.dbus_connection_unref(b->conn);
        b->conn = NULL;
    }
}

static void bus_close(bus *b)
{
    bus_disconnect(b);
    if (b->api.handle) {
        dlclose(b->api.handle);
        b->api.handle = NULL;
    }
}

/* Cleanups get only the variable: they find libdbus again by its SONAME. It is loaded, since
 * whatever they free came from it (RTLD_NOLOAD never loads anything). */
static void *dbus_sym(const char *name)
{
    void *h = dlopen(NFSROOT_LIBDBUS_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    void *f = h ? dlsym(h, name) : NULL;
    if (h)
        dlclose(h);
    return f;
}

static void dbus_errorp(DBusError *e)
{
    if (e->name) {
        typeof(dbus_error_free) *error_free = (typeof(error_free))dbus_sym("dbus_error_free");
        if (error_free)
            error_free(e);
    }
}
#define _cleanup_dbus_error_ _cleanup_(dbus_errorp)

static void dbus_messagep(DBusMessage **m)
{
    if (*m) {
        typeof(dbus_message_unref) *unref = (typeof(unref))dbus_sym("dbus_message_unref");
        if (unref)
            unref(*m);
    }
}
#define _cleanup_dbus_message_ _cleanup_(dbus_messagep)

static const char *bus_address(const nfsroot_policy *p)
{
    if (p->ganesha_bus)
        return p->ganesha_bus;
    const char *env = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");
    return env && *env ? env : DEFAULT_SYSTEM_BUS;
}

/* Ganesha's errors span lines (a summary, then "Details:" per config error): one line for the
 * user, details kept, capped. */
static void one_line(const char *s, char *buf, size_t len)
{
    size_t w = 0;
    bool space = false;
    const char *c = s ? s : "";
    for (; *c && w + 6 < len; c++) {
        if (*c == '\n' || *c == '\r' || *c == '\t') {
            space = w > 0;
            continue;
        }
        if (space) {
            if (buf[w - 1] != ':' && buf[w - 1] != ';' && buf[w - 1] != '.')
                buf[w++] = ';';
            buf[w++] = ' ';
            space = false;
        }
        buf[w++] = *c;
    }
    if (*c) /* cut short */
        w += (size_t)snprintf(buf + w, len - w, "...");
    buf[w] = '\0';
}

static int unreachable(const bus *b, const char *why, nfsroot_error *err)
{
    char line[512];
    one_line(why, line, sizeof(line));
    return nfsroot_err(err, -EHOSTUNREACH, b->domain, "backend", NULL, 0,
                       "ganesha is not reachable on D-Bus at '%s': %s", b->address, line);
}

static int bus_open(const nfsroot_policy *p, const char *domain, bus *b, nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    memset(b, 0, sizeof(*b));
    b->domain = domain;
    snprintf(b->address, sizeof(b->address), "%s", bus_address(p));
    char why[512];
    const nfsroot_dlsym syms[] = {
#define X(sym) { #sym, (void **)&b->api.sym },
        DBUS_SYMS(X)
#undef X
    };
    if (nfsroot_dlopen(NFSROOT_LIBDBUS_SONAME, syms, ELEMENTSOF(syms), &b->api.handle, why,
                       sizeof(why)) < 0)
        return nfsroot_err(err, -ENOPKG, domain, "backend", NULL, 0,
                           "cannot load libdbus to reach ganesha: %s", why);
    /* A library must not flip the process' SIGPIPE disposition; libdbus writes with
     * MSG_NOSIGNAL anyway. */
    b->api.dbus_connection_set_change_sigpipe(FALSE);
    if (p->ganesha_bus) {
        b->conn = b->api.dbus_connection_open_private(p->ganesha_bus, &e);
        if (b->conn) {
            b->api.dbus_connection_set_exit_on_disconnect(b->conn, FALSE);
            if (!b->api.dbus_bus_register(b->conn, &e))
                bus_disconnect(b);
        }
    } else {
        /* libdbus finds the system bus itself, honouring DBUS_SYSTEM_BUS_ADDRESS. */
        b->conn = b->api.dbus_bus_get_private(DBUS_BUS_SYSTEM, &e);
    }
    if (!b->conn) {
        int r = unreachable(b, e.name ? e.message : "cannot connect", err);
        bus_close(b);
        return r;
    }
    b->api.dbus_connection_set_exit_on_disconnect(b->conn, FALSE);
    return 0;
}

/* DBusError's name is a public field: no call into libdbus needed to compare it. */
static bool error_is(const DBusError *e, const char *name)
{
    return e->name && !strcmp(e->name, name);
}

/* Errors that mean "nobody answers", as opposed to ganesha refusing a request. */
static bool is_unreachable_error(const DBusError *e)
{
    static const char *const names[] = {
        DBUS_ERROR_SERVICE_UNKNOWN, DBUS_ERROR_NAME_HAS_NO_OWNER, DBUS_ERROR_NO_REPLY,
        DBUS_ERROR_DISCONNECTED,    DBUS_ERROR_TIMEOUT,           DBUS_ERROR_NO_SERVER,
        DBUS_ERROR_UNKNOWN_OBJECT,  DBUS_ERROR_UNKNOWN_INTERFACE, DBUS_ERROR_UNKNOWN_METHOD,
        DBUS_ERROR_ACCESS_DENIED,   DBUS_ERROR_AUTH_FAILED,       DBUS_ERROR_LIMITS_EXCEEDED,
    };
    for (size_t i = 0; i < ELEMENTSOF(names); i++)
        if (error_is(e, names[i]))
            return true;
    return false;
}

/* Ganesha is not running at all (the bus answered that nobody owns its name). */
static bool is_not_running_error(const DBusError *e)
{
    return error_is(e, DBUS_ERROR_SERVICE_UNKNOWN) || error_is(e, DBUS_ERROR_NAME_HAS_NO_OWNER);
}

/* Call method with the arguments appended by the caller to *m. Returns 0 and the reply, or
 * -EIO with e set (the caller decides whether ganesha's refusal matters), or -ENOMEM. */
static int bus_call(bus *b, DBusMessage *m, DBusMessage **ret, DBusError *e)
{
    DBusMessage *reply =
        b->api.dbus_connection_send_with_reply_and_block(b->conn, m, GANESHA_TIMEOUT_MS, e);
    if (!reply)
        return b->api.dbus_error_is_set(e) ? -EIO : -ENOMEM;
    *ret = reply;
    return 0;
}

static DBusMessage *new_call(const bus *b, const char *method)
{
    return b->api.dbus_message_new_method_call(GANESHA_SERVICE, GANESHA_OBJECT, GANESHA_IFACE,
                                               method);
}

typedef struct live_export {
    uint16_t id;
    char *path;
} live_export;

typedef struct live_list {
    live_export *v;
    size_t n;
} live_list;

static void live_list_done(live_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static const live_export *live_find_path(const live_list *l, const char *path)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].path, path) == 0)
            return &l->v[i];
    return NULL;
}

static bool live_has_id(const live_list *l, uint16_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].id == id)
            return true;
    return false;
}

/* The first integer and the first string of a struct: ShowExports' export id and path. Older
 * ganesha releases used int32 ids, newer uint16; both are accepted. */
static int read_id_path(const bus *b, DBusMessageIter *st, uint16_t *ret_id, const char **ret_path)
{
    bool have_id = false, have_path = false;
    do {
        int type = b->api.dbus_message_iter_get_arg_type(st);
        if (!have_id && type == DBUS_TYPE_UINT16) {
            dbus_uint16_t v;
            b->api.dbus_message_iter_get_basic(st, &v);
            *ret_id = v;
            have_id = true;
        } else if (!have_id && type == DBUS_TYPE_INT32) {
            dbus_int32_t v;
            b->api.dbus_message_iter_get_basic(st, &v);
            if (v < 0 || v > UINT16_MAX)
                return -EBADMSG;
            *ret_id = (uint16_t)v;
            have_id = true;
        } else if (!have_path && type == DBUS_TYPE_STRING) {
            b->api.dbus_message_iter_get_basic(st, ret_path);
            have_path = true;
        }
    } while (!(have_id && have_path) && b->api.dbus_message_iter_next(st));
    return have_id && have_path ? 0 : -EBADMSG;
}

/* ShowExports: (tt) timestamp, then a(q s ... ) with the export id and its pseudo (or full)
 * path first. Only those two are read, so later fields may change between releases. */
static int bus_show_exports(bus *b, live_list *ret, nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    _cleanup_dbus_message_ DBusMessage *m = new_call(b, "ShowExports");
    _cleanup_dbus_message_ DBusMessage *reply = NULL;
    if (!m)
        return -ENOMEM;
    int r = bus_call(b, m, &reply, &e);
    if (r == -EIO)
        return unreachable(b, e.message, err);
    if (r < 0)
        return r;
    DBusMessageIter it, arr;
    if (!b->api.dbus_message_iter_init(reply, &it) || !b->api.dbus_message_iter_next(&it) ||
        b->api.dbus_message_iter_get_arg_type(&it) != DBUS_TYPE_ARRAY)
        return nfsroot_err(err, -EBADMSG, b->domain, "backend", NULL, 0,
                           "ganesha's ShowExports reply on '%s' has an unexpected signature "
                           "'%s'",
                           b->address, b->api.dbus_message_get_signature(reply));
    live_list l = { 0 };
    b->api.dbus_message_iter_recurse(&it, &arr);
    while (b->api.dbus_message_iter_get_arg_type(&arr) == DBUS_TYPE_STRUCT) {
        DBusMessageIter st;
        b->api.dbus_message_iter_recurse(&arr, &st);
        uint16_t id = 0;
        const char *path = NULL;
        if (read_id_path(b, &st, &id, &path) == 0) {
            live_export *nv = realloc(l.v, (l.n + 1) * sizeof(*nv));
            char *copy = strdup(path);
            if (!nv || !copy) {
                free(copy);
                if (nv)
                    l.v = nv;
                live_list_done(&l);
                return -ENOMEM;
            }
            l.v = nv;
            l.v[l.n].id = id;
            l.v[l.n].path = copy;
            l.n++;
        }
        b->api.dbus_message_iter_next(&arr);
    }
    *ret = l;
    return 0;
}

/* AddExport or UpdateExport of one file. Returns 0, -EEXIST when AddExport found the id
 * already live, or an error (err filled). */
static int bus_load_file(bus *b, const char *method, const char *file, uint16_t id,
                         nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    char expr[64];
    snprintf(expr, sizeof(expr), "EXPORT(Export_Id=%u)", id);
    const char *pexpr = expr;
    _cleanup_dbus_message_ DBusMessage *m = new_call(b, method);
    _cleanup_dbus_message_ DBusMessage *reply = NULL;
    if (!m || !b->api.dbus_message_append_args(m, DBUS_TYPE_STRING, &file, DBUS_TYPE_STRING, &pexpr,
                                               DBUS_TYPE_INVALID))
        return -ENOMEM;
    int r = bus_call(b, m, &reply, &e);
    if (r == -EIO) {
        if (is_unreachable_error(&e))
            return unreachable(b, e.message, err);
        if (strcmp(method, "AddExport") == 0 && strstr(e.message, "already active"))
            return -EEXIST;
        char line[1024];
        one_line(e.message, line, sizeof(line));
        return nfsroot_err(err, -EINVAL, b->domain, "backend", file, 0,
                           "ganesha refused %s of '%s' (Export_Id %u): %s", method, file, id, line);
    }
    return r;
}

/* RemoveExport; an id ganesha does not know is fine (already gone). *ret_gone tells whether
 * ganesha is not running at all, which also means nothing is exported. */
static int bus_remove_export(bus *b, uint16_t id, bool *ret_not_running, nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    dbus_uint16_t qid = id;
    _cleanup_dbus_message_ DBusMessage *m = new_call(b, "RemoveExport");
    _cleanup_dbus_message_ DBusMessage *reply = NULL;
    if (!m || !b->api.dbus_message_append_args(m, DBUS_TYPE_UINT16, &qid, DBUS_TYPE_INVALID))
        return -ENOMEM;
    int r = bus_call(b, m, &reply, &e);
    if (r == -EIO) {
        if (is_not_running_error(&e)) {
            *ret_not_running = true;
            return 0;
        }
        if (is_unreachable_error(&e))
            return unreachable(b, e.message, err);
        if (error_is(&e, DBUS_ERROR_INVALID_ARGS) && strstr(e.message, "not found"))
            return 0;
        char line[512];
        one_line(e.message, line, sizeof(line));
        return nfsroot_err(err, -EINVAL, b->domain, "backend", NULL, 0,
                           "ganesha refused RemoveExport of Export_Id %u: %s", id, line);
    }
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* EXPORT files */

/* Ganesha's config strings have no escapes: refuse what would end or break one. */
static bool ganesha_string_ok(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
            return false;
    return true;
}

static bool client_ok(const char *s)
{
    if (!*s)
        return false;
    for (const char *c = s; *c; c++)
        if (!strchr("0123456789abcdefABCDEF.:/", *c))
            return false;
    return true;
}

static int export_file_name(const char *uuid, uint16_t id, char *buf, size_t len)
{
    if (snprintf(buf, len, "virt-nfsroot-%s-%u.conf", uuid, id) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
}

/* The value of name=... in a comma-separated option list, or NULL. */
static const char *option_value(char *const *opts, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; opts && opts[i]; i++)
        if (strncmp(opts[i], name, n) == 0 && opts[i][n] == '=')
            return opts[i] + n + 1;
    return NULL;
}

static bool uint_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 10)
        return false;
    for (const char *c = s; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

/* exports(5) sec=sys:krb5p → "sys, krb5p"; only flavours ganesha knows. */
static int sec_types(const char *sec, char *buf, size_t len)
{
    if (!sec) {
        snprintf(buf, len, "sys");
        return 0;
    }
    _cleanup_strv_free_ char **v = strv_split(sec, ":");
    if (!v)
        return -ENOMEM;
    static const char *const known[] = { "sys", "krb5", "krb5i", "krb5p", "none" };
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; v[i]; i++) {
        bool ok = false;
        for (size_t k = 0; k < ELEMENTSOF(known); k++)
            ok = ok || strcmp(v[i], known[k]) == 0;
        if (!ok)
            return -EINVAL;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", v[i]);
        if (w < 0 || (size_t)w >= len - used)
            return -ENAMETOOLONG;
        used += (size_t)w;
    }
    return used ? 0 : -EINVAL;
}

/* The EXPORT block for e with the given id. Caller frees. */
static int format_export(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                         uint16_t id, char **ret, nfsroot_error *err)
{
    if (!ganesha_string_ok(e->path))
        return nfsroot_err(err, -EINVAL, plan->domain, "export path", NULL, 0,
                           "export path '%s' contains a quote, backslash or control character "
                           "that NFS-Ganesha's configuration cannot hold; rename the directory",
                           e->path);
    if (!e->clients || !e->clients[0])
        return nfsroot_err(err, -EINVAL, plan->domain, "clients", NULL, 0,
                           "export '%s' has no clients", e->path);
    for (size_t i = 0; e->clients[i]; i++)
        if (!client_ok(e->clients[i]))
            return nfsroot_err(err, -EINVAL, plan->domain, "clients", NULL, 0,
                               "client '%s' of export '%s' is not an address or subnet that "
                               "NFS-Ganesha accepts",
                               e->clients[i], e->path);

    _cleanup_strv_free_ char **opts = strv_split(e->options ? e->options : "", ",");
    if (!opts)
        return -ENOMEM;
    bool ro = e->readonly || strv_contains(opts, "ro");
    const char *squash = strv_contains(opts, "all_squash")       ? "All_Squash"
                         : strv_contains(opts, "no_root_squash") ? "No_Root_Squash"
                                                                 : "Root_Squash";
    /* exports(5) defaults to "secure" (privileged source port) unless "insecure" is given. */
    bool privileged = !strv_contains(opts, "insecure");
    char sec[64];
    if (sec_types(option_value(opts, "sec"), sec, sizeof(sec)) < 0)
        return nfsroot_err(err, -EINVAL, plan->domain, "options", NULL, 0,
                           "option 'sec=%s' of export '%s' names a flavour NFS-Ganesha does not "
                           "know (use sys, krb5, krb5i, krb5p)",
                           option_value(opts, "sec"), e->path);
    const char *anonuid = option_value(opts, "anonuid");
    const char *anongid = option_value(opts, "anongid");
    if ((anonuid && !uint_ok(anonuid)) || (anongid && !uint_ok(anongid)))
        return nfsroot_err(err, -EINVAL, plan->domain, "options", NULL, 0,
                           "options '%s' of export '%s': anonuid/anongid must be numbers",
                           e->options, e->path);
    _cleanup_free_ char *clients = strv_join(e->clients, ", ");
    if (!clients)
        return -ENOMEM;

    bool domain_ok = plan->domain && ganesha_string_ok(plan->domain);
    char *out = NULL;
    int n = asprintf(&out,
                     "# Written by virt-nfsroot for domain '%s' (%s); do not edit: it is\n"
                     "# replaced when the domain starts and deleted when it stops.\n"
                     "EXPORT {\n"
                     "    Export_Id = %u;\n"
                     "    Path = \"%s\";\n"
                     "    Pseudo = \"%s\";\n"
                     "    Access_Type = None;\n"
                     "    Squash = %s;\n"
                     "    Protocols = %s;\n"
                     "    Transports = TCP;\n"
                     "    SecType = %s;\n"
                     "    PrivilegedPort = %s;\n"
                     "%s%s%s%s%s%s"
                     "    FSAL { Name = VFS; }\n"
                     "    CLIENT {\n"
                     "        Clients = %s;\n"
                     "        Access_Type = %s;\n"
                     "    }\n"
                     "}\n",
                     domain_ok ? plan->domain : "?", plan->uuid, id, e->path, e->path, squash,
                     p->ganesha_nfsv3 ? "3, 4" : "4", sec, privileged ? "true" : "false",
                     anonuid ? "    Anonymous_Uid = " : "", anonuid ? anonuid : "",
                     anonuid ? ";\n" : "", anongid ? "    Anonymous_Gid = " : "",
                     anongid ? anongid : "", anongid ? ";\n" : "", clients, ro ? "RO" : "RW");
    if (n < 0)
        return -ENOMEM;
    *ret = out;
    return 0;
}

/* <dir>/virt-nfsroot-index.conf: one %include per export file we own, for ganesha restarts. */
static int write_index(const nfsroot_policy *p, const id_table *t, const char *domain,
                       nfsroot_error *err)
{
    const char *dir = p->ganesha_exports_dir;
    size_t cap = 256;
    for (size_t i = 0; i < t->n; i++)
        cap += strlen(dir) + 96;
    _cleanup_free_ char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    size_t len = (size_t)snprintf(buf, cap,
                                  "# Written by virt-nfsroot: the exports of running domains.\n"
                                  "# Include this file from ganesha.conf; do not edit.\n");
    for (size_t i = 0; i < t->n; i++) {
        char name[128];
        if (export_file_name(t->v[i].uuid, t->v[i].id, name, sizeof(name)) < 0)
            continue;
        len += (size_t)snprintf(buf + len, cap - len, "%%include \"%s/%s\"\n", dir, name);
    }
    int r = write_file_atomic(dir, INDEX_NAME, buf, len, 0644);
    if (r < 0)
        return nfsroot_err(err, r, domain, "policy key 'ganesha_exports_dir'", dir, 0,
                           "cannot write '%s/%s': %s", dir, INDEX_NAME, strerror(-r));
    return 0;
}

static int unlink_export_file(const nfsroot_policy *p, const char *uuid, uint16_t id,
                              const char *domain, nfsroot_error *err)
{
    char name[128], path[4096];
    if (export_file_name(uuid, id, name, sizeof(name)) < 0)
        return -ENAMETOOLONG;
    snprintf(path, sizeof(path), "%s/%s", p->ganesha_exports_dir, name);
    if (unlink(path) < 0 && errno != ENOENT) {
        int r = -errno;
        return nfsroot_err(err, r, domain, "policy key 'ganesha_exports_dir'", path, 0,
                           "cannot delete '%s': %s", path, strerror(-r));
    }
    return 0;
}

static bool export_file_exists(const nfsroot_policy *p, const char *uuid, uint16_t id)
{
    char name[128], path[4096];
    if (export_file_name(uuid, id, name, sizeof(name)) < 0)
        return false;
    snprintf(path, sizeof(path), "%s/%s", p->ganesha_exports_dir, name);
    return access(path, F_OK) == 0;
}

static bool plan_has_path(const nfsroot_plan *plan, const char *path)
{
    for (size_t i = 0; plan && i < plan->n_exports; i++)
        if (strcmp(plan->exports[i].path, path) == 0)
            return true;
    return false;
}

static int check_policy(const nfsroot_policy *p, const char *domain, nfsroot_error *err)
{
    if (!p->ganesha_exports_dir || p->ganesha_exports_dir[0] != '/')
        return nfsroot_err(err, -EINVAL, domain, "policy key 'ganesha_exports_dir'", p->source, 0,
                           "policy key 'ganesha_exports_dir' must be an absolute directory "
                           "for the ganesha backend");
    if (p->ganesha_export_id_min == 0 || p->ganesha_export_id_min > p->ganesha_export_id_max)
        return nfsroot_err(err, -EINVAL, domain, "policy key 'ganesha_export_ids'", p->source, 0,
                           "policy key 'ganesha_export_ids' is '%u-%u'; it must be a range "
                           "like '20000-29999' that excludes 0 (ganesha's pseudo root)",
                           p->ganesha_export_id_min, p->ganesha_export_id_max);
    int r = mkdir_p(p->ganesha_exports_dir, 0755);
    if (r < 0)
        return nfsroot_err(err, r, domain, "policy key 'ganesha_exports_dir'",
                           p->ganesha_exports_dir, 0, "cannot create '%s': %s",
                           p->ganesha_exports_dir, strerror(-r));
    return 0;
}

/* Take one record out of ganesha, the exports dir and the table. */
static int forget_record(const nfsroot_policy *p, bus *b, id_table *t, id_record *rec,
                         const char *domain, const nfsroot_log *log, nfsroot_error *err)
{
    bool not_running = false;
    int r = bus_remove_export(b, rec->id, &not_running, err);
    if (r < 0)
        return r;
    r = unlink_export_file(p, rec->uuid, rec->id, domain, err);
    if (r < 0)
        return r;
    nfsroot_logf(log, LOG_INFO, "ganesha: removed export '%s' (Export_Id %u)%s", rec->path, rec->id,
                 not_running ? ", ganesha was not running" : "");
    id_table_drop(t, rec);
    return 0;
}

/* The id for path: the recorded one, one ganesha serves from our own file (the table was
 * lost), or the lowest free one in the policy's range. */
static int pick_id(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                   id_table *t, const live_list *live, uint16_t *ret, nfsroot_error *err)
{
    id_record *rec = id_table_find_path(t, e->path);
    if (rec) {
        if (strcmp(rec->uuid, plan->uuid) != 0)
            return nfsroot_err(err, -EBUSY, plan->domain, "export path", NULL, 0,
                               "export path '%s' is already exported by NFS-Ganesha for the "
                               "domain with uuid %s; ganesha serves one path once, so stop "
                               "that domain or choose another path",
                               e->path, rec->uuid);
        *ret = rec->id;
        return 0;
    }
    const live_export *le = live_find_path(live, e->path);
    if (le) {
        if (!export_file_exists(p, plan->uuid, le->id))
            return nfsroot_err(err, -EBUSY, plan->domain, "export path", NULL, 0,
                               "export path '%s' is already exported by NFS-Ganesha as "
                               "Export_Id %u, which virt-nfsroot did not create; remove that "
                               "export from ganesha's configuration",
                               e->path, le->id);
        *ret = le->id;
        return id_table_add(t, le->id, plan->uuid, e->path);
    }
    for (unsigned id = p->ganesha_export_id_min; id <= p->ganesha_export_id_max; id++) {
        if (id_table_has_id(t, (uint16_t)id) || live_has_id(live, (uint16_t)id))
            continue;
        *ret = (uint16_t)id;
        return id_table_add(t, (uint16_t)id, plan->uuid, e->path);
    }
    return nfsroot_err(err, -ENOSPC, plan->domain, "policy key 'ganesha_export_ids'", p->source, 0,
                       "no free NFS-Ganesha export id left in %u-%u; widen policy key "
                       "'ganesha_export_ids'",
                       p->ganesha_export_id_min, p->ganesha_export_id_max);
}

static int apply_one(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_export *e,
                     bus *b, id_table *t, const live_list *live, const nfsroot_log *log,
                     nfsroot_error *err)
{
    uint16_t id = 0;
    int r = pick_id(p, plan, e, t, live, &id, err);
    if (r < 0)
        return r;
    /* Record the id before ganesha knows it, so a crash in between leaves nothing unowned. */
    r = id_table_save(t, plan->domain, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *text = NULL;
    r = format_export(p, plan, e, id, &text, err);
    if (r < 0)
        return r;
    char name[128], file[4096];
    r = export_file_name(plan->uuid, id, name, sizeof(name));
    if (r < 0)
        return r;
    snprintf(file, sizeof(file), "%s/%s", p->ganesha_exports_dir, name);
    r = write_file_atomic(p->ganesha_exports_dir, name, text, strlen(text), 0644);
    if (r < 0)
        return nfsroot_err(err, r, plan->domain, "policy key 'ganesha_exports_dir'", file, 0,
                           "cannot write '%s': %s", file, strerror(-r));

    const char *how = "added";
    if (live_has_id(live, id)) {
        r = bus_load_file(b, "UpdateExport", file, id, err);
        how = "updated";
    } else {
        r = bus_load_file(b, "AddExport", file, id, err);
        if (r == -EEXIST) { /* became live since ShowExports */
            r = bus_load_file(b, "UpdateExport", file, id, err);
            how = "updated";
        }
    }
    if (r < 0 && r != -EHOSTUNREACH && r != -ENOMEM && strcmp(how, "updated") == 0) {
        /* Some changes UpdateExport cannot make; start this export over. */
        nfsroot_error_clear(err);
        bool not_running = false;
        r = bus_remove_export(b, id, &not_running, err);
        if (r == 0)
            r = bus_load_file(b, "AddExport", file, id, err);
        how = "re-added";
    }
    if (r < 0)
        return r;
    _cleanup_free_ char *clients = strv_join(e->clients, ",");
    nfsroot_logf(log, LOG_INFO, "ganesha: %s export '%s' (Export_Id %u) for %s", how, e->path, id,
                 clients ? clients : "?");
    return 0;
}

static int ganesha_apply(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_plan *old,
                         const nfsroot_peers *peers, const nfsroot_log *log, nfsroot_error *err)
{
    int r = check_policy(p, plan->domain, err);
    if (r < 0)
        return r;
    id_table t;
    r = id_table_load(p, plan->domain, &t, err);
    if (r < 0)
        goto out_table;
    bus b;
    r = bus_open(p, plan->domain, &b, err);
    if (r < 0)
        goto out_table;
    live_list live = { 0 };
    r = bus_show_exports(&b, &live, err);
    if (r < 0)
        goto out;

    /* What this domain had and no longer wants goes first, so its ids are free again. */
    for (size_t i = t.n; i-- > 0;) {
        const id_record *rec = &t.v[i];
        bool ours = strcmp(rec->uuid, plan->uuid) == 0;
        /* The same name recorded under another uuid (the domain was redefined): its
         * exports are this domain's too, re-created below under the new uuid. */
        bool previous =
            !ours && old && strcmp(rec->uuid, old->uuid) == 0 && plan_has_path(old, rec->path);
        if (!(ours && !plan_has_path(plan, rec->path)) && !previous)
            continue;
        r = forget_record(p, &b, &t, &t.v[i], plan->domain, log, err);
        if (r < 0)
            goto out;
    }

    for (size_t i = 0; i < plan->n_exports; i++) {
        r = apply_one(p, plan, &plan->exports[i], &b, &t, &live, log, err);
        if (r < 0)
            break;
    }
    /* Even after a failure: the index and table must describe what ganesha now has. */
    int k = write_index(p, &t, plan->domain, r < 0 ? NULL : err);
    if (r == 0)
        r = k;
    k = id_table_save(&t, plan->domain, r < 0 ? NULL : err);
    if (r == 0)
        r = k;
out:
    live_list_done(&live);
    bus_close(&b);
out_table:
    id_table_done(&t);
    return r;
}

static int ganesha_remove(const nfsroot_policy *p, const nfsroot_plan *plan, const nfsroot_log *log,
                          nfsroot_error *err)
{
    int r = check_policy(p, plan->domain, err);
    if (r < 0)
        return r;
    id_table t;
    r = id_table_load(p, plan->domain, &t, err);
    if (r < 0)
        goto out_table;
    bus b;
    r = bus_open(p, plan->domain, &b, err);
    if (r < 0)
        goto out_table;
    live_list live = { 0 };
    nfsroot_error scratch = { 0 };
    /* Ganesha not running is fine for a removal; only the lost table case needs the list. */
    if (bus_show_exports(&b, &live, &scratch) < 0)
        live_list_done(&live);

    for (size_t i = t.n; i-- > 0;) {
        if (strcmp(t.v[i].uuid, plan->uuid) != 0)
            continue;
        r = forget_record(p, &b, &t, &t.v[i], plan->domain, log, err);
        if (r < 0)
            goto save;
    }
    /* The table was lost (state dir wiped) but ganesha still serves our files. */
    for (size_t i = 0; i < plan->n_exports; i++) {
        const live_export *le = live_find_path(&live, plan->exports[i].path);
        if (!le || !export_file_exists(p, plan->uuid, le->id))
            continue;
        r = id_table_add(&t, le->id, plan->uuid, le->path);
        if (r < 0)
            goto save;
        r = forget_record(p, &b, &t, &t.v[t.n - 1], plan->domain, log, err);
        if (r < 0)
            goto save;
    }
save:;
    int k = write_index(p, &t, plan->domain, r < 0 ? NULL : err);
    if (r == 0)
        r = k;
    k = id_table_save(&t, plan->domain, r < 0 ? NULL : err);
    if (r == 0)
        r = k;
    live_list_done(&live);
    bus_close(&b);
out_table:
    id_table_done(&t);
    return r;
}

static bool client_matches(const char *listed, const char *client)
{
    if (strcmp(listed, client) == 0)
        return true;
    nfsroot_cidr outer, inner;
    return nfsroot_cidr_parse(listed, &outer) == 0 && nfsroot_cidr_parse(client, &inner) == 0 &&
           nfsroot_cidr_contains(&outer, &inner);
}

/* DisplayExport(id) → (q s s s a(s ...)): is client in the client list? */
static int bus_export_has_client(bus *b, uint16_t id, const char *client, bool *ret,
                                 nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    dbus_uint16_t qid = id;
    _cleanup_dbus_message_ DBusMessage *m = new_call(b, "DisplayExport");
    _cleanup_dbus_message_ DBusMessage *reply = NULL;
    if (!m || !b->api.dbus_message_append_args(m, DBUS_TYPE_UINT16, &qid, DBUS_TYPE_INVALID))
        return -ENOMEM;
    int r = bus_call(b, m, &reply, &e);
    if (r == -EIO) {
        if (is_unreachable_error(&e))
            return unreachable(b, e.message, err);
        *ret = false; /* removed in between */
        return 0;
    }
    if (r < 0)
        return r;
    DBusMessageIter it;
    *ret = false;
    if (!b->api.dbus_message_iter_init(reply, &it))
        return 0;
    do {
        if (b->api.dbus_message_iter_get_arg_type(&it) != DBUS_TYPE_ARRAY)
            continue;
        DBusMessageIter arr;
        b->api.dbus_message_iter_recurse(&it, &arr);
        while (b->api.dbus_message_iter_get_arg_type(&arr) == DBUS_TYPE_STRUCT) {
            DBusMessageIter st;
            b->api.dbus_message_iter_recurse(&arr, &st);
            if (b->api.dbus_message_iter_get_arg_type(&st) == DBUS_TYPE_STRING) {
                const char *listed;
                b->api.dbus_message_iter_get_basic(&st, &listed);
                if (client_matches(listed, client)) {
                    *ret = true;
                    return 0;
                }
            }
            b->api.dbus_message_iter_next(&arr);
        }
    } while (b->api.dbus_message_iter_next(&it));
    return 0;
}

static int ganesha_has(const nfsroot_policy *p, const char *path, const char *client, bool *ret,
                       nfsroot_error *err)
{
    bus b;
    int r = bus_open(p, NULL, &b, err);
    if (r < 0)
        return r;
    live_list live = { 0 };
    r = bus_show_exports(&b, &live, err);
    bool found = false;
    if (r == 0) {
        const live_export *le = live_find_path(&live, path);
        if (le && client)
            r = bus_export_has_client(&b, le->id, client, &found, err);
        else
            found = le != NULL;
    }
    live_list_done(&live);
    bus_close(&b);
    if (r < 0)
        return r;
    *ret = found;
    return 0;
}

/* EXPORT blocks say `Protocols = 4` unless the policy turns v3 on (see the text above). */
static unsigned ganesha_nfs_versions(const nfsroot_policy *p, char *why, size_t len)
{
    if (p->ganesha_nfsv3)
        return NFSROOT_NFS_V3 | NFSROOT_NFS_V4;
    snprintf(why, len, "ganesha_nfsv3 = no");
    return NFSROOT_NFS_V4;
}

const nfsroot_backend nfsroot_backend_ganesha = {
    .apply = ganesha_apply,
    .remove = ganesha_remove,
    .has = ganesha_has,
    .nfs_versions = ganesha_nfs_versions,
};
