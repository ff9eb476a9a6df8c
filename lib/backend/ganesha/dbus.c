/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The D-Bus side of the ganesha backend: org.ganesha.nfsd.exportmgr over a private, blocking
 * connection (the hook is short-lived and has no main loop). The connection never exits the
 * process and never changes SIGPIPE handling. libdbus is dlopen()ed when a bus is opened, so
 * hosts on the kernel backend never load it. */
#include <dbus/dbus.h>
#include <dlfcn.h>

#include "backend/ganesha/ganesha.h"

#define GANESHA_SERVICE "org.ganesha.nfsd"
#define GANESHA_OBJECT "/org/ganesha/nfsd/ExportMgr"
#define GANESHA_IFACE "org.ganesha.nfsd.exportmgr"
#define GANESHA_ADMIN_OBJECT "/org/ganesha/nfsd/admin"
#define GANESHA_ADMIN_IFACE "org.ganesha.nfsd.admin"
#define GANESHA_TIMEOUT_MS 15000
#define DEFAULT_SYSTEM_BUS "unix:path=/var/run/dbus/system_bus_socket"

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

struct bus {
    dbus_api api;
    DBusConnection *conn;
    char address[512]; /* for messages */
    const char *domain;
};

static void bus_disconnect(bus *b)
{
    if (b->conn) {
        b->api.dbus_connection_close(b->conn);
        b->api.dbus_connection_unref(b->conn);
        b->conn = NULL;
    }
}

void bus_close(bus *b)
{
    if (!b)
        return;
    bus_disconnect(b);
    if (b->api.handle)
        dlclose(b->api.handle);
    free(b);
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

int bus_open(const nfsroot_policy *p, const char *domain, bus **ret, nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    _cleanup_(bus_closep) bus *b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
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
    if (!b->conn)
        return unreachable(b, e.name ? e.message : "cannot connect", err);
    b->api.dbus_connection_set_exit_on_disconnect(b->conn, FALSE);
    *ret = TAKE_PTR(b);
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
int bus_show_exports(bus *b, id_list *ret, nfsroot_error *err)
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
    id_list l = { 0 };
    b->api.dbus_message_iter_recurse(&it, &arr);
    while (b->api.dbus_message_iter_get_arg_type(&arr) == DBUS_TYPE_STRUCT) {
        DBusMessageIter st;
        b->api.dbus_message_iter_recurse(&arr, &st);
        uint16_t id = 0;
        const char *path = NULL;
        if (read_id_path(b, &st, &id, &path) == 0 && id_list_add(&l, id, NULL, path) < 0) {
            id_list_done(&l);
            return -ENOMEM;
        }
        b->api.dbus_message_iter_next(&arr);
    }
    *ret = l;
    return 0;
}

/* AddExport or UpdateExport of one file. Returns 0, -EEXIST when AddExport found the id
 * already live, or an error (err filled). */
int bus_load_file(bus *b, const char *method, const char *file, uint16_t id, nfsroot_error *err)
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

/* method(id) on ExportMgr: 0 and the reply, -EIO with e set, or -ENOMEM. */
static int call_with_id(bus *b, const char *method, uint16_t id, DBusMessage **ret, DBusError *e)
{
    dbus_uint16_t qid = id;
    _cleanup_dbus_message_ DBusMessage *m = new_call(b, method);
    if (!m || !b->api.dbus_message_append_args(m, DBUS_TYPE_UINT16, &qid, DBUS_TYPE_INVALID))
        return -ENOMEM;
    return bus_call(b, m, ret, e);
}

/* RemoveExport; an id ganesha does not know is fine (already gone). *ret_gone tells whether
 * ganesha is not running at all, which also means nothing is exported. */
int bus_remove_export(bus *b, uint16_t id, bool *ret_not_running, nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    _cleanup_dbus_message_ DBusMessage *reply = NULL;
    int r = call_with_id(b, "RemoveExport", id, &reply, &e);
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

static bool client_matches(const char *listed, const char *client)
{
    if (strcmp(listed, client) == 0)
        return true;
    nfsroot_cidr outer, inner;
    return nfsroot_cidr_parse(listed, &outer) == 0 && nfsroot_cidr_parse(client, &inner) == 0 &&
           nfsroot_cidr_contains(&outer, &inner);
}

/* DisplayExport(id) → (q s s s a(s ...)): is client in the client list? */
int bus_export_has_client(bus *b, uint16_t id, const char *client, bool *ret, nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    _cleanup_dbus_message_ DBusMessage *reply = NULL;
    int r = call_with_id(b, "DisplayExport", id, &reply, &e);
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

/* admin.get_grace → (b in_grace, b success, s message). Releases without it say
 * UnknownMethod, and an answer we cannot read is no answer: *ret_in_grace is then false and
 * nothing is refused for it. */
int bus_in_grace(bus *b, bool *ret_in_grace, nfsroot_error *err)
{
    _cleanup_dbus_error_ DBusError e = DBUS_ERROR_INIT;
    _cleanup_dbus_message_ DBusMessage *m = b->api.dbus_message_new_method_call(
        GANESHA_SERVICE, GANESHA_ADMIN_OBJECT, GANESHA_ADMIN_IFACE, "get_grace");
    _cleanup_dbus_message_ DBusMessage *reply = NULL;
    if (!m)
        return -ENOMEM;
    *ret_in_grace = false;
    int r = bus_call(b, m, &reply, &e);
    if (r == -EIO &&
        (error_is(&e, DBUS_ERROR_UNKNOWN_METHOD) || error_is(&e, DBUS_ERROR_UNKNOWN_INTERFACE) ||
         error_is(&e, DBUS_ERROR_UNKNOWN_OBJECT)))
        return 0;
    if (r == -EIO)
        return unreachable(b, e.message, err);
    if (r < 0)
        return r;
    DBusMessageIter it;
    if (!b->api.dbus_message_iter_init(reply, &it) ||
        b->api.dbus_message_iter_get_arg_type(&it) != DBUS_TYPE_BOOLEAN)
        return 0;
    dbus_bool_t v = FALSE;
    b->api.dbus_message_iter_get_basic(&it, &v);
    *ret_in_grace = v;
    return 0;
}
