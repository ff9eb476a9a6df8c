# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest trees (profiles, configurator, unpack): included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    guest/table.c guest/profile.c guest/config.c guest/edit.c guest/tree.c guest/configure.c
    guest/password.c guest/unpack.c)
# libcrypt hashes create's root password: dlopen()ed there, never loaded by a hook run.
target_include_directories(virt-nfsroot PRIVATE ${LIBXCRYPT_INCLUDE_DIRS})
target_compile_definitions(virt-nfsroot PRIVATE NFSROOT_LIBCRYPT_SONAME="${NFSROOT_LIBCRYPT_SONAME}")
