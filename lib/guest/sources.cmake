# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest trees (profiles, configurator, unpack): included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/stub.c)
