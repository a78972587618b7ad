# Two of the daemon's libraries, yaml-cpp and http-parser, have -dev packages that Debian does not
# mark Multi-Arch: same, so the arm64 -dev package cannot be installed beside the native one (apt
# removes one for the other). Their headers are the same on every architecture, so a cross build
# takes the headers from the native -dev package and links the arm64 runtime package's library
# (libyaml-cpp0.7:arm64, libhttp-parser2.9:arm64) by its file name.
function(kubevip_import_runtime_library target file)
  find_library(path NAMES ${file} NO_CACHE REQUIRED)
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION ${path})
endfunction()

kubevip_import_runtime_library(yaml-cpp libyaml-cpp.so.0.7)
kubevip_import_runtime_library(http_parser libhttp_parser.so.2.9)
