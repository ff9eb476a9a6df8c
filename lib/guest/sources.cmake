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
# libcrypt hashes create's root password: dlopen()ed there, never loaded by a hook run.
target_include_directories(virt-nfsroot PRIVATE ${LIBXCRYPT_INCLUDE_DIRS})
target_compile_definitions(virt-nfsroot PRIVATE NFSROOT_LIBCRYPT_SONAME="${NFSROOT_LIBCRYPT_SONAME}")
