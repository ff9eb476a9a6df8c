# SPDX-License-Identifier: LGPL-2.1-or-later
# The Ceph backend: exports in RADOS for a cluster of NFS-Ganesha nodes on CephFS. librados is
# dlopen()ed when this backend opens its cluster (hosts on other backends never load it):
# headers only here (librados-dev), and its SONAME.
find_path(RADOS_INCLUDE_DIR rados/librados.h)
find_library(RADOS_LIBRARY rados)
if(RADOS_INCLUDE_DIR AND RADOS_LIBRARY)
    nfsroot_soname(NFSROOT_LIBRADOS_SONAME rados "")
    target_sources(virt-nfsroot PRIVATE backend/ceph/rados.c backend/ceph/objects.c
        backend/ceph/claims.c backend/ceph/probe.c backend/ceph/view.c backend/ceph/ceph.c)
    target_include_directories(virt-nfsroot PRIVATE ${RADOS_INCLUDE_DIR})
    target_compile_definitions(virt-nfsroot PRIVATE NFSROOT_LIBRADOS_SONAME="${NFSROOT_LIBRADOS_SONAME}"
                                                    NFSROOT_HAVE_CEPH=1)
else()
    message(STATUS "librados headers not found: the ceph backend is not built (librados-dev)")
endif()
