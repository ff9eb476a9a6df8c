/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's network XML, shared by network.c (networks, bridges) and netdhcp.c (DHCP hosts). */
#pragma once

#include "xml.h"

/* The largest network XML read or parsed (libvirt's are a few KB; a network with every DHCP host
 * pinned is tens of KB). */
#define NETWORK_XML_MAX (4u * 1024 * 1024)

/* Parse a network XML text (path, may be NULL, names it): 0 with *ret_root its <network> element
 * (also inside the <networkstatus> of a live file), *ret_doc the caller's to free; -EBADF when it
 * is none, in err as "'path' is not a libvirt network XML" for domain and field unless field is
 * NULL; or why libxml2 could not be loaded. */
int network_xml_read(const char *xml, size_t len, const char *path, const char *domain,
                     const char *field, xmlDocPtr *ret_doc, xmlNodePtr *ret_root,
                     nfsroot_error *err);
