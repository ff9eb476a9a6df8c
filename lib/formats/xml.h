/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxml2, loaded by the first parse instead of linked. Debian's libxml2 links ICU, which links
 * libstdc++: loading and relocating that closure is most of a hook run's start-up (docs/
 * PERFORMANCE.md), and a release, which reads only its record, never parses any XML. The
 * headers are libxml2's own; only the calls go through the table. */
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "formats.h"

/* Every libxml2 symbol the library uses, without its "xml" prefix. Free is libxml2's variable
 * xmlFree (a pointer to its deallocator), the others are functions. */
#define NFSROOT_XML_SYMS(X)                                                                        \
    X(NewParserCtxt)                                                                               \
    X(FreeParserCtxt)                                                                              \
    X(CtxtReadMemory)                                                                              \
    X(CtxtGetLastError)                                                                            \
    X(ReadMemory)                                                                                  \
    X(FreeDoc)                                                                                     \
    X(DocGetRootElement)                                                                           \
    X(NodeGetContent)                                                                              \
    X(GetNoNsProp)                                                                                 \
    X(EncodeSpecialChars)                                                                          \
    X(Strcmp)                                                                                      \
    X(Free)

typedef struct nfsroot_xml_api {
#define X(sym) __typeof__(xml##sym) *sym;
    NFSROOT_XML_SYMS(X)
#undef X
} nfsroot_xml_api;

/* Load libxml2 once per process (later calls return what the first one found): 0, or <0 with
 * err naming the library and why it could not be loaded. Every entry point that parses calls it
 * before anything below. */
int nfsroot_xml_load(nfsroot_error *err);
/* The table nfsroot_xml_load() filled; only after it returned 0. */
const nfsroot_xml_api *nfsroot_xml(void);
/* XML(FreeDoc)(doc) calls xmlFreeDoc(doc); XML(Free)(p) calls xmlFree(p). */
#define XML(sym) (*nfsroot_xml()->sym)

static inline void nfsroot_xml_free_doc(xmlDocPtr doc)
{
    XML(FreeDoc)(doc);
}
static inline void nfsroot_xml_free_ctxt(xmlParserCtxtPtr ctxt)
{
    XML(FreeParserCtxt)(ctxt);
}
static inline void nfsroot_xml_free(xmlChar *s)
{
    XML(Free)(s);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, nfsroot_xml_free_doc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, nfsroot_xml_free_ctxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlChar *, nfsroot_xml_free)

/* Is n the element `name` (any namespace)? */
bool nfsroot_xml_is(xmlNodePtr n, const char *name);
/* n's attribute `name` (no namespace) as a malloc()ed string, NULL when absent (or ENOMEM). */
char *nfsroot_xml_prop(xmlNodePtr n, const char *name);
/* parent's first child element `name`, NULL when none. */
xmlNodePtr nfsroot_xml_child(xmlNodePtr parent, const char *name);
