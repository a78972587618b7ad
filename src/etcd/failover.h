// Which etcd endpoint a request goes to, and what happens when one cannot be reached.
//
// etcd's own client (clientv3) keeps a list of members and moves to another when the one in use
// fails; kube-vip does the same in its simplest form. A request starts at the endpoint that last
// answered (`start`), and on a transport failure (refused, timed out, TLS) tries the next one,
// each at most once, so that one request costs at most endpoints x request timeout. An HTTP
// answer ends the search (another member of the same cluster would answer the same), except the
// one that says this member cannot serve now (503, gRPC Unavailable: "no leader" on a member cut
// off from the others), which the caller turns into a failure (http_client.cc). Pure logic over a
// send function, unit-tested.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace kubevip::etcd {

template <typename Answer>
struct Answered {
  size_t endpoint = 0;  // the index that answered
  Answer answer;
};

// Calls `send(i)` for i = start, start + 1, ... (wrapping), until one returns a value. When all
// fail, the error names every endpoint with its failure; its code is theirs when they agree, else
// kUnavailable. `what` names the request ("/v3/kv/txn").
template <typename Answer>
Result<Answered<Answer>> sendWithFailover(const std::string& what,
                                          const std::vector<std::string>& endpoints, size_t start,
                                          const std::function<Result<Answer>(size_t)>& send) {
  std::string failures;
  std::optional<ErrorCode> common_code;
  bool codes_agree = true;
  for (size_t tried = 0; tried < endpoints.size(); ++tried) {
    const size_t index = (start + tried) % endpoints.size();
    auto answer = send(index);
    if (answer) return Answered<Answer>{index, std::move(*answer)};
    const Error& error = answer.error();
    if (common_code && *common_code != error.code) codes_agree = false;
    common_code = error.code;
    if (!failures.empty()) failures += "; ";
    failures += endpoints[index] + ": " + error.describe();
  }
  return makeError(codes_agree && common_code ? *common_code : ErrorCode::kUnavailable,
                   "etcd " + what + ": no endpoint answered (" + std::to_string(endpoints.size()) +
                       " tried): " + failures);
}

}  // namespace kubevip::etcd
