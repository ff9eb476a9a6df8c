# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest trees (profiles, configurator, unpack): included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/table.c
    ${CMAKE_CURRENT_LIST_DIR}/profile.c
    ${CMAKE_CURRENT_LIST_DIR}/config.c
    ${CMAKE_CURRENT_LIST_DIR}/edit.c
    ${CMAKE_CURRENT_LIST_DIR}/tree.c
    ${CMAKE_CURRENT_LIST_DIR}/configure.c
    ${CMAKE_CURRENT_LIST_DIR}/unpack.c)
pkg_check_modules(LIBXCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
target_link_libraries(virt-nfsroot PRIVATE PkgConfig::LIBXCRYPT)
