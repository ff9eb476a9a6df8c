/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxml2 through dlopen() on first use (xml.h says why). */
#include <dlfcn.h>
#include <pthread.h>

#include "xml.h"

/* Written once, under pthread_once, and only read after: the table is what the dynamic linker
 * would have filled at start-up, just later. */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static nfsroot_xml_api xml_api;
static int xml_status;
static char xml_why[256];

static void xml_open(void)
{
    const nfsroot_dlsym syms[] = {
#define X(sym) { "xml" #sym, (void **)&xml_api.sym },
        NFSROOT_XML_SYMS(X)
#undef X
    };
    /* RTLD_LAZY, unlike nfsroot_dlopen(): libxml2 and ICU are linked -z now themselves, but
     * RTLD_NOW would also bind all of libstdc++'s and libm's functions that nothing here calls.
     * RTLD_NODELETE (always added): the table stays valid after dlclose(). */
    void *h = NULL;
    xml_status = nfsroot_dlopen_flags(NFSROOT_LIBXML2_SONAME, RTLD_LAZY | RTLD_LOCAL, syms,
                                      ELEMENTSOF(syms), &h, xml_why, sizeof(xml_why));
    if (h)
        dlclose(h);
}

int nfsroot_xml_load(nfsroot_error *err)
{
    pthread_once(&xml_once, xml_open);
    if (xml_status < 0)
        return nfsroot_err(err, xml_status, NULL, "libxml2", NFSROOT_LIBXML2_SONAME, 0,
                           "cannot load libxml2 to read XML (%s): install its package "
                           "(libxml2 on Debian)",
                           xml_why);
    return 0;
}

const nfsroot_xml_api *nfsroot_xml(void)
{
    return &xml_api;
}

bool nfsroot_xml_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !XML(Strcmp)(n->name, BAD_CAST name);
}

char *nfsroot_xml_prop(xmlNodePtr n, const char *name)
{
    xmlChar *v = XML(GetNoNsProp)(n, BAD_CAST name);
    char *s = v ? strdup((const char *)v) : NULL;
    XML(Free)(v);
    return s;
}

xmlNodePtr nfsroot_xml_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (nfsroot_xml_is(c, name))
            return c;
    return NULL;
}
