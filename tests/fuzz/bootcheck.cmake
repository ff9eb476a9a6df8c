# SPDX-License-Identifier: LGPL-2.1-or-later
# libFuzzer targets for the boot-check parsers. Include from tests/fuzz/CMakeLists.txt (or
# tests/CMakeLists.txt) when ENABLE_FUZZING is on; needs clang. The parsers are compiled into
# each fuzzer with coverage instrumentation instead of linking the shared library, so the
# fuzzer sees their branches. Run: bootcheck-fuzz-cmdline -max_total_time=60 <corpus dir>.
if(ENABLE_FUZZING)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
        message(WARNING "ENABLE_FUZZING needs clang (-DCMAKE_C_COMPILER=clang); "
                        "boot-check fuzzers not built")
    else()
        set(_bc ${PROJECT_SOURCE_DIR}/lib/bootcheck)
        set(_lib ${PROJECT_SOURCE_DIR}/lib)
        set(_bootcheck_fuzz_sources
            ${_bc}/common.c ${_bc}/kernel.c ${_bc}/cmdline-parse.c ${_bc}/cmdline.c ${_bc}/fstab.c
            ${_bc}/qemu-user.c)
        set(BOOTCHECK_FUZZ_TIME 60 CACHE STRING "Seconds each boot-check fuzzer runs under ctest")
        foreach(target cmdline fstab kernel)
            set(name bootcheck-fuzz-${target})
            add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/bootcheck-${target}.c
                           ${_bootcheck_fuzz_sources})
            target_include_directories(${name} PRIVATE ${NFSROOT_LIB_PRIVATE_INCLUDES} ${_lib}/include
                                       ${_lib}/common ${_bc})
            target_compile_options(${name} PRIVATE
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1
                -D_GNU_SOURCE)
            target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
            # The rest of the library (util, cidr, backends), instrumented the same way.
            target_link_libraries(${name} PRIVATE nfsroot_fuzzlib)
            # Seeds (tests/fuzz/seeds.sh) and new inputs in the build tree.
            add_test(NAME fuzz.bootcheck-${target}
                     COMMAND sh -c "\"$2/tests/fuzz/seeds.sh\" bootcheck-${target} \"$2\" \"$1\" && exec \"$0\" -max_total_time=${BOOTCHECK_FUZZ_TIME} -timeout=10 -rss_limit_mb=2048 \"$1\""
                             $<TARGET_FILE:${name}>
                             ${CMAKE_CURRENT_BINARY_DIR}/bootcheck-${target}-corpus
                             ${PROJECT_SOURCE_DIR})
            set_tests_properties(fuzz.bootcheck-${target} PROPERTIES LABELS fuzz
                                 TIMEOUT 600)
        endforeach()
    endif()
endif()
