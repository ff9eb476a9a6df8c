/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "formats.h"
#include "xml.h"

/* libvirt's own domain XMLs are tens of KiB; anything this large is not one. */
#define NFSROOT_XML_MAX (8u * 1024 * 1024)

#define _cleanup_xmlchar_ _cleanup_(nfsroot_xml_freep)

bool nfsroot_xml_mentions_namespace(const char *xml, size_t len)
{
    return memmem(xml, len, NFSROOT_XMLNS_PREFIX, strlen(NFSROOT_XMLNS_PREFIX)) != NULL;
}

void nfsroot_domain_clear_exports(nfsroot_domain *d)
{
    for (size_t i = 0; i < d->n_exports; i++) {
        free(d->exports[i].path);
        free(d->exports[i].clients);
        free(d->exports[i].options);
    }
    free(d->exports);
    d->exports = NULL;
    d->n_exports = 0;
    d->has_metadata = true;
}

void nfsroot_domain_free(nfsroot_domain *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->kernel);
    free(d->initrd);
    free(d->cmdline);
    for (size_t i = 0; i < d->n_nics; i++)
        free(d->nics[i].source);
    free(d->nics);
    nfsroot_domain_clear_exports(d);
    free(d);
}

int nfsroot_domain_add_export(nfsroot_domain *d, const char *path, bool readonly,
                              const char *clients, const char *options)
{
    _cleanup_free_ char *p = path ? strdup(path) : NULL;
    _cleanup_free_ char *c = clients ? strdup(clients) : NULL;
    _cleanup_free_ char *o = options ? strdup(options) : NULL;
    if ((path && !p) || (clients && !c) || (options && !o))
        return -ENOMEM;
    nfsroot_export_req *nv = realloc(d->exports, (d->n_exports + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    d->exports = nv;
    d->exports[d->n_exports] = (nfsroot_export_req){ .path = TAKE_PTR(p),
                                                     .readonly = readonly,
                                                     .is_root = d->n_exports == 0,
                                                     .clients = TAKE_PTR(c),
                                                     .options = TAKE_PTR(o) };
    d->n_exports++;
    d->has_metadata = true;
    return 0;
}

DEFINE_ACCESSOR(const char *, nfsroot_domain_get_name, nfsroot_domain, x->name)
DEFINE_ACCESSOR(const char *, nfsroot_domain_get_uuid, nfsroot_domain, x->uuid)
DEFINE_ACCESSOR(bool, nfsroot_domain_has_metadata, nfsroot_domain, x->has_metadata)
DEFINE_ACCESSOR(size_t, nfsroot_domain_get_n_nics, nfsroot_domain, x->n_nics)

const char *nfsroot_domain_get_root_path(const nfsroot_domain *d)
{
    for (size_t i = 0; i < d->n_exports; i++)
        if (d->exports[i].is_root)
            return d->exports[i].path;
    return NULL;
}

int nfsroot_domain_get_export(const nfsroot_domain *d, size_t i, const char **ret_path,
                              bool *ret_readonly, bool *ret_is_root)
{
    if (i >= d->n_exports)
        return -ENOENT;
    *ret_path = d->exports[i].path;
    *ret_readonly = d->exports[i].readonly;
    *ret_is_root = d->exports[i].is_root;
    return 0;
}

const nfsroot_nic *nfsroot_domain_get_nic(const nfsroot_domain *d, size_t i)
{
    return i < d->n_nics ? &d->nics[i] : NULL;
}

DEFINE_ACCESSOR(nfsroot_nic_type, nfsroot_nic_get_type, nfsroot_nic, x->type)
DEFINE_ACCESSOR(const char *, nfsroot_nic_get_source, nfsroot_nic, x->source)
DEFINE_ACCESSOR(const char *, nfsroot_nic_get_mac, nfsroot_nic, x->mac)
static bool is_elem(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && XML(Strcmp)(n->name, BAD_CAST name) == 0 && n->ns == NULL;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (is_elem(c, name))
            return c;
    return NULL;
}

static char *text_of(xmlNodePtr n)
{
    if (!n)
        return NULL;
    _cleanup_xmlchar_ xmlChar *t = XML(NodeGetContent)(n);
    return t ? strdup((const char *)t) : NULL;
}

static char *attr_of(xmlNodePtr n, const char *name)
{
    if (!n)
        return NULL;
    _cleanup_xmlchar_ xmlChar *t = XML(GetNoNsProp)(n, BAD_CAST name);
    return t ? strdup((const char *)t) : NULL;
}

static int check_name(const char *name, nfsroot_error *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200)
        return nfsroot_err(err, -EINVAL, NULL, "domain name", NULL, 0,
                           "domain name of %zu bytes is not supported (1 to 200)", n);
    /* Control characters first: a name holding one is never put in the error's domain. */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\'')
            return nfsroot_err(err, -EINVAL, NULL, "domain name", NULL, 0,
                               "domain name '%.64s' contains %s", name,
                               *p == '\'' ? "a quote" : "a control character");
    if (name[0] == '.' || strchr(name, '/'))
        return nfsroot_err(err, -EINVAL, name, "domain name", NULL, 0,
                           "domain name must not start with '.' or contain '/'");
    return 0;
}

/* What libvirt's virUUIDParse() accepts: optional surrounding whitespace, then exactly 32 hex
 * digits, a '-' or ' ' allowed before any pair of them. Written out canonically (8-4-4-4-12,
 * lower case), as libvirt itself formats it, so one domain has one spelling in our records. */
static int parse_uuid(const char *s, char ret[37])
{
    uint8_t bytes[16];
    while (isspace((unsigned char)*s))
        s++;
    for (size_t i = 0; i < 16;) {
        if (*s == '-' || *s == ' ') {
            s++;
            continue;
        }
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
            return -EINVAL;
        char pair[3] = { s[0], s[1], '\0' };
        bytes[i++] = (uint8_t)strtoul(pair, NULL, 16);
        s += 2;
    }
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return -EINVAL;
    snprintf(ret, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
             bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return 0;
}

static int parse_nics(nfsroot_domain *d, xmlNodePtr devices)
{
    for (xmlNodePtr c = devices ? devices->children : NULL; c; c = c->next) {
        if (!is_elem(c, "interface"))
            continue;
        nfsroot_nic *nv = realloc(d->nics, (d->n_nics + 1) * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        d->nics = nv;
        nfsroot_nic *nic = &d->nics[d->n_nics++];
        memset(nic, 0, sizeof(*nic));
        _cleanup_free_ char *type = attr_of(c, "type");
        xmlNodePtr src = child(c, "source");
        if (type && strcmp(type, "network") == 0) {
            nic->type = NFSROOT_NIC_NETWORK;
            nic->source = attr_of(src, "network");
        } else if (type && strcmp(type, "bridge") == 0) {
            nic->type = NFSROOT_NIC_BRIDGE;
            nic->source = attr_of(src, "bridge");
        }
        _cleanup_free_ char *mac = attr_of(child(c, "mac"), "address");
        if (mac && strlen(mac) == 17) {
            for (size_t i = 0; i < 17; i++)
                nic->mac[i] = (char)tolower((unsigned char)mac[i]);
            nic->mac[17] = '\0';
        }
    }
    return 0;
}

static int parse_yesno(const char *v, bool *ret)
{
    if (strcmp(v, "yes") == 0)
        *ret = true;
    else if (strcmp(v, "no") == 0)
        *ret = false;
    else
        return -EINVAL;
    return 0;
}

static bool only_whitespace(const xmlChar *s)
{
    for (; s && *s; s++)
        if (!isspace(*s))
            return false;
    return true;
}

static int parse_export(nfsroot_domain *d, xmlNodePtr e, bool *seen_root, nfsroot_error *err)
{
    size_t idx = d->n_exports;
    nfsroot_export_req *nv = realloc(d->exports, (idx + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    d->exports = nv;
    nfsroot_export_req *x = &d->exports[d->n_exports++];
    memset(x, 0, sizeof(*x));

    for (xmlAttrPtr a = e->properties; a; a = a->next) {
        const char *an = (const char *)a->name;
        if (a->ns)
            return nfsroot_err(err, -EINVAL, d->name, "metadata", NULL, 0,
                               "export %zu has attribute '%s' in namespace '%s': write it "
                               "without a prefix",
                               idx + 1, an, a->ns->href ? (const char *)a->ns->href : "");
        if ((strcmp(an, "path") && strcmp(an, "readonly") && strcmp(an, "role") &&
             strcmp(an, "clients") && strcmp(an, "options")))
            return nfsroot_err(err, -EINVAL, d->name, "metadata", NULL, 0,
                               "export %zu has unknown attribute '%s' (known: path, readonly, "
                               "role, clients, options)",
                               idx + 1, an);
    }
    for (xmlNodePtr c = e->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE ||
            (c->type == XML_TEXT_NODE && !only_whitespace(c->content)) ||
            c->type == XML_ENTITY_REF_NODE)
            return nfsroot_err(err, -EINVAL, d->name, "metadata", NULL, 0,
                               "export %zu must be empty: it takes only attributes", idx + 1);

    x->path = attr_of(e, "path");
    x->clients = attr_of(e, "clients");
    x->options = attr_of(e, "options");
    _cleanup_free_ char *ro = attr_of(e, "readonly");
    _cleanup_free_ char *role = attr_of(e, "role");
    if (ro && parse_yesno(ro, &x->readonly) < 0)
        return nfsroot_err(err, -EINVAL, d->name, "readonly", NULL, 0,
                           "export %zu: readonly '%s' must be 'yes' or 'no'", idx + 1, ro);
    if (role) {
        if (strcmp(role, "root") == 0) {
            if (*seen_root)
                return nfsroot_err(err, -EINVAL, d->name, "role", NULL, 0,
                                   "more than one export has role 'root'");
            *seen_root = true;
            x->is_root = true;
        } else if (strcmp(role, "extra") != 0)
            return nfsroot_err(err, -EINVAL, d->name, "role", NULL, 0,
                               "export %zu: role '%s' must be 'root' or 'extra'", idx + 1, role);
    }
    if (x->path && x->path[0] == '\0')
        return nfsroot_err(err, -EINVAL, d->name, "export path", NULL, 0,
                           "export %zu has an empty path", idx + 1);
    return 0;
}

static int parse_metadata(nfsroot_domain *d, xmlNodePtr metadata, nfsroot_error *err)
{
    xmlNodePtr ours = NULL;
    for (xmlNodePtr c = metadata ? metadata->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !c->ns || !c->ns->href)
            continue;
        const char *href = (const char *)c->ns->href;
        if (strncmp(href, NFSROOT_XMLNS_PREFIX, strlen(NFSROOT_XMLNS_PREFIX)) != 0)
            continue;
        if (strcmp(href, NFSROOT_XMLNS) != 0)
            return nfsroot_err(err, -EPROTONOSUPPORT, d->name, "metadata", NULL, 0,
                               "metadata namespace '%s' is not understood by this host, which "
                               "reads '%s': upgrade virt-nfsroot or annotate the domain again",
                               href, NFSROOT_XMLNS);
        if (XML(Strcmp)(c->name, BAD_CAST "nfsroot") != 0)
            return nfsroot_err(err, -EINVAL, d->name, "metadata", NULL, 0,
                               "unknown element '%s' in the virt-nfsroot namespace (expected "
                               "'nfsroot')",
                               (const char *)c->name);
        if (ours)
            return nfsroot_err(err, -EINVAL, d->name, "metadata", NULL, 0,
                               "the virt-nfsroot element appears more than once");
        ours = c;
    }
    if (!ours)
        return 0;
    d->has_metadata = true;
    if (ours->properties)
        return nfsroot_err(err, -EINVAL, d->name, "metadata", NULL, 0,
                           "element 'nfsroot' takes no attributes (found '%s')",
                           (const char *)ours->properties->name);

    bool seen_root = false;
    for (xmlNodePtr c = ours->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE && only_whitespace(c->content))
            continue;
        if (c->type == XML_COMMENT_NODE)
            continue;
        if (c->type != XML_ELEMENT_NODE)
            return nfsroot_err(err, -EINVAL, d->name, "metadata", NULL, 0,
                               "unexpected %s inside 'nfsroot' (only 'export' elements)",
                               c->type == XML_PI_NODE ? "processing instruction"
                               : c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE
                                   ? "text"
                                   : "content");
        if (!c->ns || XML(Strcmp)(c->ns->href, BAD_CAST NFSROOT_XMLNS))
            return nfsroot_err(
                err, -EINVAL, d->name, "metadata", NULL, 0,
                "unexpected element '%s' %s%s%s inside 'nfsroot' (only 'export' "
                "elements of the virt-nfsroot namespace)",
                (const char *)c->name, c->ns ? "in namespace '" : "without a namespace",
                c->ns && c->ns->href ? (const char *)c->ns->href : "", c->ns ? "'" : "");
        if (XML(Strcmp)(c->name, BAD_CAST "export"))
            return nfsroot_err(err, -EINVAL, d->name, "metadata", NULL, 0,
                               "unexpected element '%s' inside 'nfsroot' (only 'export' elements)",
                               (const char *)c->name);
        if (d->n_exports >= 64)
            return nfsroot_err(err, -E2BIG, d->name, "metadata", NULL, 0, "more than 64 exports");
        int r = parse_export(d, c, &seen_root, err);
        if (r < 0)
            return r;
    }
    if (d->n_exports == 0) {
        d->exports = calloc(1, sizeof(*d->exports));
        if (!d->exports)
            return -ENOMEM;
        d->n_exports = 1;
    }
    if (!seen_root)
        d->exports[0].is_root = true;
    return 0;
}

int nfsroot_domain_parse(const char *xml, size_t len, nfsroot_domain **ret, nfsroot_error *err)
{
    if (len > NFSROOT_XML_MAX)
        return nfsroot_err(err, -EFBIG, NULL, "domain XML", NULL, 0,
                           "domain XML of %zu bytes is larger than the %u bytes accepted", len,
                           NFSROOT_XML_MAX);
    /* libxml2 would report "premature end of data" somewhere after it: name the byte. */
    const char *nul = memchr(xml, '\0', len);
    if (nul)
        return nfsroot_err(err, -EINVAL, NULL, "domain XML", NULL, 0,
                           "domain XML contains a NUL byte at offset %zu (a libvirt domain XML is "
                           "UTF-8 text)",
                           (size_t)(nul - xml));
    int r = nfsroot_xml_load(err);
    if (r < 0)
        return r;
    _cleanup_(nfsroot_xml_free_ctxtp) xmlParserCtxtPtr ctxt = XML(NewParserCtxt)();
    if (!ctxt)
        return -ENOMEM;
    /* No network, no DTD loading, no entity substitution; errors are read from the context. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    _cleanup_(nfsroot_xml_free_docp) xmlDocPtr doc =
        XML(CtxtReadMemory)(ctxt, xml, (int)len, "domain.xml", NULL, opts);
    if (!doc) {
        xmlErrorPtr e = XML(CtxtGetLastError)(ctxt);
        char msg[512];
        first_line(e && e->message ? e->message : "unknown error", msg, sizeof(msg));
        return nfsroot_err(err, -EINVAL, NULL, "domain XML", NULL, e ? e->line : 0,
                           "domain XML is not well-formed (line %d: %s)", e ? e->line : 0, msg);
    }
    if (doc->intSubset || doc->extSubset)
        return nfsroot_err(err, -EINVAL, NULL, "domain XML", NULL, 0,
                           "domain XML must not contain a DOCTYPE (entities are refused)");
    xmlNodePtr root = XML(DocGetRootElement)(doc);
    if (root && root->ns && XML(Strcmp)(root->name, BAD_CAST "domain") == 0)
        return nfsroot_err(err, -EINVAL, NULL, "domain XML", NULL, 0,
                           "root element 'domain' is in namespace '%s': a libvirt domain XML has "
                           "none",
                           root->ns->href ? (const char *)root->ns->href : "");
    if (!root || !is_elem(root, "domain"))
        return nfsroot_err(err, -EINVAL, NULL, "domain XML", NULL, 0,
                           "root element is '%s', not 'domain'",
                           root ? (const char *)root->name : "(none)");

    _cleanup_(nfsroot_domain_freep) nfsroot_domain *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->name = text_of(child(root, "name"));
    if (!d->name)
        return nfsroot_err(err, -EINVAL, NULL, "domain name", NULL, 0, "domain XML has no <name>");
    r = check_name(d->name, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *uuid = text_of(child(root, "uuid"));
    if (uuid && parse_uuid(uuid, d->uuid) < 0)
        return nfsroot_err(err, -EINVAL, d->name, "uuid", NULL, 0, "uuid '%.64s' is not a UUID",
                           uuid);
    xmlNodePtr os = child(root, "os");
    d->kernel = text_of(child(os, "kernel"));
    d->initrd = text_of(child(os, "initrd"));
    d->cmdline = text_of(child(os, "cmdline"));
    r = parse_nics(d, child(root, "devices"));
    if (r < 0)
        return r;
    r = parse_metadata(d, child(root, "metadata"), err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(d);
    return 0;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (!*buf)
        return;
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *nb = realloc(*buf, nc);
        if (!nb) {
            free(*buf);
            *buf = NULL;
            return;
        }
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

static void append_attr(char **buf, size_t *len, size_t *cap, const char *name, const char *v)
{
    if (!v)
        return;
    _cleanup_free_ char *esc = nfsroot_xml_escape(v);
    append(buf, len, cap, " ");
    append(buf, len, cap, name);
    append(buf, len, cap, "=\"");
    append(buf, len, cap, esc ? esc : "");
    append(buf, len, cap, "\"");
}

/* Our element, its names prefixed with ns (then the namespace is declared on it) or not (what
 * libvirt's SetMetadata takes: it puts the element in the namespace itself). */
static char *metadata_format(const nfsroot_domain *d, const char *ns)
{
    const nfsroot_export_req *exports = d->exports;
    size_t n = d->n_exports;
    size_t len = 0, cap = 256;
    char *buf = malloc(cap);
    if (buf)
        buf[0] = '\0';
    append(&buf, &len, &cap, "<");
    append(&buf, &len, &cap, ns);
    append(&buf, &len, &cap, "nfsroot");
    if (*ns)
        append(&buf, &len, &cap, " xmlns:nfsroot=\"" NFSROOT_XMLNS "\"");
    if (n == 0) {
        append(&buf, &len, &cap, "/>");
        return buf;
    }
    append(&buf, &len, &cap, ">\n");
    for (size_t i = 0; i < n; i++) {
        append(&buf, &len, &cap, "  <");
        append(&buf, &len, &cap, ns);
        append(&buf, &len, &cap, "export");
        append_attr(&buf, &len, &cap, "path", exports[i].path);
        if (exports[i].readonly)
            append_attr(&buf, &len, &cap, "readonly", "yes");
        if (exports[i].is_root && i > 0)
            append_attr(&buf, &len, &cap, "role", "root");
        append_attr(&buf, &len, &cap, "clients", exports[i].clients);
        append_attr(&buf, &len, &cap, "options", exports[i].options);
        append(&buf, &len, &cap, "/>\n");
    }
    append(&buf, &len, &cap, "</");
    append(&buf, &len, &cap, ns);
    append(&buf, &len, &cap, "nfsroot>");
    return buf;
}

char *nfsroot_metadata_format(const nfsroot_domain *d)
{
    return metadata_format(d, "nfsroot:");
}

char *nfsroot_metadata_format_bare(const nfsroot_domain *d)
{
    return metadata_format(d, "");
}

int nfsroot_domain_new(const char *name, nfsroot_domain **ret)
{
    _cleanup_(nfsroot_domain_freep) nfsroot_domain *d = calloc(1, sizeof(*d));
    if (!d || !(d->name = strdup(name)))
        return -ENOMEM;
    *ret = TAKE_PTR(d);
    return 0;
}

bool nfsroot_domain_name_ok(const char *name, bool strict)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || name[0] == '.' || strchr(name, '/') || n > 200)
        return false;
    if (!strict)
        return true;
    if (n > 63 || name[0] == '-' || name[n - 1] == '-')
        return false;
    for (const char *p = name; *p; p++)
        if (!(*p == '-' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return false;
    return true;
}
