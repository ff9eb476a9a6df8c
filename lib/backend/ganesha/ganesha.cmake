# SPDX-License-Identifier: LGPL-2.1-or-later
# The NFS-Ganesha backend talks to ganesha over D-Bus (libdbus-1: small, no main loop needed).
target_sources(virt-nfsroot PRIVATE backend/ganesha/ids.c backend/ganesha/ids-alloc.c
    backend/ganesha/dbus.c backend/ganesha/config.c backend/ganesha/probe.c
    backend/ganesha/ganesha.c)
# libdbus is dlopen()ed when a bus is opened (hosts on the kernel backend never load it):
# headers only here, and its SONAME (top-level CMakeLists.txt).
target_include_directories(virt-nfsroot PRIVATE ${DBUS_INCLUDE_DIRS})
target_compile_definitions(virt-nfsroot PRIVATE NFSROOT_LIBDBUS_SONAME="${NFSROOT_LIBDBUS_SONAME}")
target_link_libraries(virt-nfsroot PRIVATE ${CMAKE_DL_LIBS})
target_compile_definitions(virt-nfsroot PRIVATE NFSROOT_HAVE_GANESHA=1)
