# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot checks: included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/common.c
    ${CMAKE_CURRENT_LIST_DIR}/kernel.c
    ${CMAKE_CURRENT_LIST_DIR}/qemu-user.c
    ${CMAKE_CURRENT_LIST_DIR}/initramfs.c
    ${CMAKE_CURRENT_LIST_DIR}/initramfs-scan.c
    ${CMAKE_CURRENT_LIST_DIR}/initramfs-entry.c
    ${CMAKE_CURRENT_LIST_DIR}/initramfs-cache.c
    ${CMAKE_CURRENT_LIST_DIR}/cmdline-parse.c
    ${CMAKE_CURRENT_LIST_DIR}/cmdline.c
    ${CMAKE_CURRENT_LIST_DIR}/fstab.c
    ${CMAKE_CURRENT_LIST_DIR}/idmap.c
    ${CMAKE_CURRENT_LIST_DIR}/distro.c
    ${CMAKE_CURRENT_LIST_DIR}/run.c)
# libarchive is dlopen()ed by the scan (a cached result never needs it): headers only here, and
# its SONAME (top-level CMakeLists.txt) as the -dev package's library has it.
target_include_directories(virt-nfsroot PRIVATE ${LIBARCHIVE_INCLUDE_DIRS})
target_compile_definitions(virt-nfsroot PRIVATE
    NFSROOT_LIBARCHIVE_SONAME="${NFSROOT_LIBARCHIVE_SONAME}")
target_link_libraries(virt-nfsroot PRIVATE ${CMAKE_DL_LIBS})
