/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's network XML, shared by network.c (networks, bridges) and netdhcp.c (DHCP hosts). */
#pragma once

#include "xml.h"

/* The <network> element of a network XML, also inside the <networkstatus> of a live file. */
xmlNodePtr network_xml_root(xmlDocPtr doc);
