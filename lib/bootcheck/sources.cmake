# Boot checks: included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/findings.c
    ${CMAKE_CURRENT_LIST_DIR}/common.c
    ${CMAKE_CURRENT_LIST_DIR}/kernel.c
    ${CMAKE_CURRENT_LIST_DIR}/initramfs.c
    ${CMAKE_CURRENT_LIST_DIR}/cmdline.c
    ${CMAKE_CURRENT_LIST_DIR}/fstab.c
    ${CMAKE_CURRENT_LIST_DIR}/idmap.c
    ${CMAKE_CURRENT_LIST_DIR}/run.c)
target_link_libraries(virt-nfsroot PRIVATE PkgConfig::LIBARCHIVE)
