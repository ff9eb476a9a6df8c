# SPDX-License-Identifier: LGPL-2.1-or-later
# CPack: `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr builds
# virt-nfsroot_<version>_<arch>.deb. Include this file from the top-level CMakeLists.txt after
# every add_subdirectory().
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    message(STATUS "Packaging: configure with -DCMAKE_INSTALL_PREFIX=/usr to build a .deb "
                   "(now ${CMAKE_INSTALL_PREFIX})")
endif()

# Debian's own files for a native package: changelog, copyright.
set(_deb ${PROJECT_SOURCE_DIR}/packaging/debian)
find_program(GZIP gzip REQUIRED)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/changelog.gz
    COMMAND ${GZIP} -9nc ${_deb}/changelog > ${PROJECT_BINARY_DIR}/changelog.gz
    DEPENDS ${_deb}/changelog VERBATIM)
add_custom_target(debian-changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/changelog.gz ${_deb}/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Libraries in the system's own directory need no RUNPATH (Debian policy 10.2; a lintian
# error); elsewhere (/usr/local, /opt) the binaries keep theirs.
if(CMAKE_INSTALL_FULL_LIBDIR IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
    foreach(t virt-nfsroot-cli virt-nfsroot-hook-run)
        if(TARGET ${t})
            set_target_properties(${t} PROPERTIES INSTALL_RPATH "")
        endif()
    endforeach()
endif()

set(CPACK_PACKAGE_NAME "virt-nfsroot")
set(CPACK_PACKAGE_VENDOR "virt-nfsroot")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "virt-nfsroot maintainers <maintainers@virt-nfsroot.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "libvirt guests whose root filesystem is a host directory served over NFS")
set(CPACK_PACKAGE_DESCRIPTION
"A libvirt qemu hook exports a guest's root directory (/export/<guest>) over NFS
when the guest starts and removes the export when it stops, after checking the
request against the host policy and checking that the guest can boot from it
(kernel, initramfs, command line, fstab). The virt-nfsroot command annotates
guests, shows what is exported, checks the host and repairs stale exports.")
set(CPACK_GENERATOR "DEB")
# This .deb holds what has no component; the Cockpit page (component "cockpit") is its own
# package, virt-nfsroot-cockpit (packaging/cockpit-deb.sh).
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};Unspecified;/")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://virt-nfsroot.org/")
# An NFS server, plus the shared libraries the programs link (libvirt0, libc6) with the versions
# dpkg-shlibdeps finds, plus five only dlopen()ed, which it cannot see (the CLI links neither
# libxml2 nor libnfsidmap since it calls the library for them): libxml2 (every parse),
# libnfsidmap (the boot check's and doctor's NFSv4 domain), libarchive (the initramfs scan and
# create's unpack), libdbus (the ganesha backend), libcrypt (create's password). Debian names
# their packages by SONAME (libarchive.so.13 -> libarchive13, libdbus-1.so.3 -> libdbus-1-3),
# except libxml2.so.2, whose package is libxml2.
function(nfsroot_deb_package var soname)
    string(REGEX REPLACE "^(.*)\\.so\\.([0-9]+)$" "\\1\\2" pkg "${soname}")
    if(pkg MATCHES "[0-9]$" AND soname MATCHES "[0-9]\\.so\\.")
        string(REGEX REPLACE "^(.*)\\.so\\.([0-9]+)$" "\\1-\\2" pkg "${soname}")
    endif()
    set(${var} ${pkg} PARENT_SCOPE)
endfunction()
nfsroot_deb_package(_libarchive_pkg ${NFSROOT_LIBARCHIVE_SONAME})
nfsroot_deb_package(_libdbus_pkg ${NFSROOT_LIBDBUS_SONAME})
nfsroot_deb_package(_libcrypt_pkg ${NFSROOT_LIBCRYPT_SONAME})
nfsroot_deb_package(_libnfsidmap_pkg ${NFSROOT_LIBNFSIDMAP_SONAME})
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libxml2, ${_libnfsidmap_pkg}, ${_libarchive_pkg}, ${_libdbus_pkg}, ${_libcrypt_pkg}, nfs-kernel-server | nfs-ganesha")
find_program(DPKG_SHLIBDEPS dpkg-shlibdeps)
if(DPKG_SHLIBDEPS)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${PROJECT_BINARY_DIR}/lib")
else()
    string(PREPEND CPACK_DEBIAN_PACKAGE_DEPENDS
           "libc6, libvirt0, ")
endif()
# create debootstraps Debian guests, the Release file checked against the archive keyring
# (trees from a tarball or directory need neither).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libvirt-daemon-system, debootstrap, debian-archive-keyring")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nfs-ganesha-vfs, libnss-libvirt, chrony, dracut-network")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_deb}/postinst" "${_deb}/postrm" "${_deb}/triggers")

include(CPack)
