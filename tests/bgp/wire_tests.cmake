# Unit tests of the BGP wire format, included from tests/CMakeLists.txt. The golden files are hex
# text under golden/, read at run time from the source tree.
set(_bgp_wire_tests ${CMAKE_CURRENT_LIST_DIR})
kubevip_add_unit_test(bgp_wire_test
  SOURCES ${_bgp_wire_tests}/message_test.cc ${_bgp_wire_tests}/capabilities_test.cc
    ${_bgp_wire_tests}/update_test.cc ${_bgp_wire_tests}/negotiation_test.cc
    ${_bgp_wire_tests}/golden_test.cc ${_bgp_wire_tests}/hex.cc
  LIBS kubevip_bgp_wire)
target_compile_definitions(bgp_wire_test PRIVATE
  KUBEVIP_BGP_GOLDEN_DIR="${_bgp_wire_tests}/golden")

# libFuzzer target: clang only (-fsanitize=fuzzer), e.g.
#   CXX=clang++ cmake -B build/fuzz -G Ninja -DKUBEVIP_FUZZ=ON && cmake --build build/fuzz --target bgp_decode_fuzz
option(KUBEVIP_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
if(KUBEVIP_FUZZ)
  # The codec's sources are compiled into the target so that they carry the fuzzer's coverage.
  get_target_property(_bgp_wire_sources kubevip_bgp_wire SOURCES)
  add_executable(bgp_decode_fuzz ${_bgp_wire_tests}/fuzz/bgp_decode_fuzz.cc ${_bgp_wire_sources})
  target_include_directories(bgp_decode_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/src)
  # Asserts stay on: a ByteReader read without a length check first must stop the fuzzer.
  target_compile_options(bgp_decode_fuzz PRIVATE -fsanitize=fuzzer,address,undefined -UNDEBUG)
  target_link_options(bgp_decode_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(bgp_decode_fuzz PRIVATE kubevip_common)
endif()
