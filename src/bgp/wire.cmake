# BGP-4 wire format (library kubevip_bgp_wire): pure encoders and decoders, no sockets, no clock.
# Included from the top-level CMakeLists.txt so that other parts of src/bgp keep their own lists.
set(_bgp_wire_dir ${CMAKE_CURRENT_LIST_DIR})
add_library(kubevip_bgp_wire
  ${_bgp_wire_dir}/message.cc ${_bgp_wire_dir}/capabilities.cc ${_bgp_wire_dir}/attributes.cc
  ${_bgp_wire_dir}/prefix.cc ${_bgp_wire_dir}/update.cc ${_bgp_wire_dir}/negotiation.cc
  ${_bgp_wire_dir}/message_decoder.cc)
target_include_directories(kubevip_bgp_wire PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(kubevip_bgp_wire PUBLIC kubevip_common)
