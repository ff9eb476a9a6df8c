# SPDX-License-Identifier: LGPL-2.1-or-later
# base/: strings and lists, files, programs, dlopen, errors, log, escaping, the handle hash:
# included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/error.c
    ${CMAKE_CURRENT_LIST_DIR}/escape.c
    ${CMAKE_CURRENT_LIST_DIR}/log.c
    ${CMAKE_CURRENT_LIST_DIR}/util.c
    ${CMAKE_CURRENT_LIST_DIR}/handle.c)
