# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot checks: included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    bootcheck/common.c bootcheck/kernel.c bootcheck/qemu-user.c
    bootcheck/initramfs.c bootcheck/initramfs-scan.c bootcheck/initramfs-entry.c
    bootcheck/initramfs-cache.c bootcheck/cmdline-parse.c bootcheck/cmdline.c bootcheck/fstab.c
    bootcheck/idmap.c bootcheck/distro.c bootcheck/run.c)
# libarchive is dlopen()ed by the scan (a cached result never needs it): headers only here, and
# its SONAME (top-level CMakeLists.txt) as the -dev package's library has it.
target_include_directories(virt-nfsroot PRIVATE ${LIBARCHIVE_INCLUDE_DIRS})
target_compile_definitions(virt-nfsroot PRIVATE
    NFSROOT_LIBARCHIVE_SONAME="${NFSROOT_LIBARCHIVE_SONAME}")
target_link_libraries(virt-nfsroot PRIVATE ${CMAKE_DL_LIBS})
