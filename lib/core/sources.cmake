# SPDX-License-Identifier: LGPL-2.1-or-later
# core/: the model (policy, plan, state) and what runs it: included from lib/CMakeLists.txt.
target_sources(virt-nfsroot PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/policy.c
    ${CMAKE_CURRENT_LIST_DIR}/paths.c
    ${CMAKE_CURRENT_LIST_DIR}/plan.c
    ${CMAKE_CURRENT_LIST_DIR}/options.c
    ${CMAKE_CURRENT_LIST_DIR}/clients.c
    ${CMAKE_CURRENT_LIST_DIR}/state.c
    ${CMAKE_CURRENT_LIST_DIR}/apply.c
    ${CMAKE_CURRENT_LIST_DIR}/claim.c
    ${CMAKE_CURRENT_LIST_DIR}/owned.c
    ${CMAKE_CURRENT_LIST_DIR}/orphans.c
    ${CMAKE_CURRENT_LIST_DIR}/migrate.c
    ${CMAKE_CURRENT_LIST_DIR}/hook.c
    ${CMAKE_CURRENT_LIST_DIR}/host.c
    ${CMAKE_CURRENT_LIST_DIR}/idmap.c)
