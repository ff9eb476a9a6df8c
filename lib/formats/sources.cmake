# SPDX-License-Identifier: LGPL-2.1-or-later
# formats/: what the library reads and writes: included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/xml.c
    ${CMAKE_CURRENT_LIST_DIR}/domain.c
    ${CMAKE_CURRENT_LIST_DIR}/network.c
    ${CMAKE_CURRENT_LIST_DIR}/netdhcp.c
    ${CMAKE_CURRENT_LIST_DIR}/cidr.c
    ${CMAKE_CURRENT_LIST_DIR}/exports.c
    ${CMAKE_CURRENT_LIST_DIR}/conffile.c
    ${CMAKE_CURRENT_LIST_DIR}/nsswitch.c
    ${CMAKE_CURRENT_LIST_DIR}/osrelease.c
    ${CMAKE_CURRENT_LIST_DIR}/record.c)
