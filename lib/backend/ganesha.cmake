# The NFS-Ganesha backend talks to ganesha over D-Bus (libdbus-1: small, no main loop needed).
target_sources(virt-nfsroot PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ganesha.c)
target_link_libraries(virt-nfsroot PRIVATE PkgConfig::DBUS)
target_compile_definitions(virt-nfsroot PRIVATE NFSROOT_HAVE_GANESHA=1)
