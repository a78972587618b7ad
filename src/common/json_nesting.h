// How deep the objects and arrays of a JSON text nest, checked before the text is parsed.
//
// nlohmann::json parses and frees a document without recursion, but copying, comparing and
// serializing a value recurse once per level: a document of a few hundred thousand '[' (well under
// a megabyte) overflows a thread's stack there. Decoders of JSON from another process (the API
// server, etcd) refuse a document nested deeper than they can ever legitimately need, before
// parsing it, each with its own limit and the argument for it.
#pragma once

#include <string_view>

namespace kubevip {

// Whether the objects and arrays of `text` nest deeper than `limit`; brackets inside strings do
// not count. Malformed JSON may pass: the parser refuses it next.
bool jsonNestsDeeperThan(std::string_view text, int limit);

}  // namespace kubevip
