#include "k8s/http_transport.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>

#include "k8s/curl_library.h"

namespace kubevip::k8s {
namespace {

// A response body, refused beyond `cap` (HttpPeer::max_body_bytes).
struct CappedBody {
  std::string* body;
  size_t cap = kMaxResponseBodyBytes;
  bool overflowed = false;

  // False (and nothing kept) once the body would pass the cap: the write callback then returns 0
  // and libcurl aborts the transfer.
  bool append(const char* data, size_t size) {
    if (body->size() + size > cap) {
      overflowed = true;
      return false;
    }
    body->append(data, size);
    return true;
  }
};

size_t appendBody(char* data, size_t size, size_t count, void* user) {
  return static_cast<CappedBody*>(user)->append(data, size * count) ? size * count : 0;
}

Error bodyTooLarge(const std::string& server, const std::string& path, size_t cap) {
  return makeError(ErrorCode::kInvalidArgument,
                   fmt::format("the response body from {}{} exceeds the {} MiB cap ({} bytes); "
                               "transfer aborted",
                               server, path, cap >> 20, cap));
}

Error transportError(const CurlLibrary& lib, CURLcode code, const char* detail,
                     const std::string& peer, const std::string& server,
                     std::chrono::milliseconds timeout) {
  const std::string why = detail[0] != '\0' ? detail : lib.easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return makeError(ErrorCode::kUnavailable,
                       fmt::format("cannot reach {} at {}: {}", peer, server, why));
    case CURLE_OPERATION_TIMEDOUT:
      return makeError(ErrorCode::kTimeout, fmt::format("{} at {} did not answer within {} ms: {}",
                                                        peer, server, timeout.count(), why));
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return makeError(ErrorCode::kPermission,
                       fmt::format("TLS failure talking to {} at {}: {}", peer, server, why));
    default:
      return makeError(ErrorCode::kUnavailable,
                       fmt::format("request to {} at {} failed: {}", peer, server, why));
  }
}

}  // namespace

HttpTransport::HttpTransport(const CurlLibrary& lib, ClusterAccess access,
                             std::chrono::milliseconds timeout, HttpPeer peer)
    : lib_(&lib), access_(std::move(access)), timeout_(timeout), peer_(std::move(peer)) {
  server_label_ =
      access_.connect_to.empty() ? access_.server : access_.server + " via " + access_.connect_to;
}

HttpTransport::~HttpTransport() {
  if (connect_to_ != nullptr) lib_->slist_free_all(static_cast<curl_slist*>(connect_to_));
  if (multi_ != nullptr) lib_->multi_cleanup(static_cast<CURLM*>(multi_));
  if (curl_ != nullptr) lib_->easy_cleanup(static_cast<CURL*>(curl_));
}

Result<std::unique_ptr<HttpTransport>> HttpTransport::create(ClusterAccess access,
                                                             std::chrono::milliseconds timeout,
                                                             HttpPeer peer) {
  if (access.server.rfind("https://", 0) != 0 && access.server.rfind("http://", 0) != 0) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("API server address \"{}\" is not an http(s) URL", access.server));
  }
  auto lib = curlLibrary();
  if (!lib) return lib.error();
  std::unique_ptr<HttpTransport> transport(
      new HttpTransport(**lib, std::move(access), timeout, std::move(peer)));
  transport->curl_ = transport->lib_->easy_init();
  transport->multi_ = transport->lib_->multi_init();
  if (transport->curl_ == nullptr || transport->multi_ == nullptr) {
    return makeError(ErrorCode::kInternal, "curl_easy_init or curl_multi_init failed");
  }
  if (!transport->access_.connect_to.empty()) {
    // "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT" with HOST and PORT empty: every request.
    const std::string entry = "::" + transport->access_.connect_to;
    transport->connect_to_ = transport->lib_->slist_append(nullptr, entry.c_str());
    if (transport->connect_to_ == nullptr) {
      return makeError(ErrorCode::kInternal, "curl_slist_append failed");
    }
  }
  return transport;
}

Result<std::string> HttpTransport::bearerToken() {
  if (access_.token_file.empty()) return access_.token;
  struct stat st {};
  if (stat(access_.token_file.c_str(), &st) != 0) {
    return systemError(fmt::format("cannot read the token file {}", access_.token_file), errno);
  }
  // The file counts as changed when it is another file (the kubelet swaps projected tokens in by
  // renaming, which gives a new inode) or its time or size changed: a file rewritten within one
  // tick of the kernel's coarse file clock keeps its mtime.
  const TokenFileIdentity seen{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                               int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec,
                               static_cast<int64_t>(st.st_size)};
  if (seen != token_identity_) {
    auto token = readFile(access_.token_file);
    if (!token) return token.error();
    while (!token->empty() && isspace(static_cast<unsigned char>(token->back()))) {
      token->pop_back();
    }
    token_cache_ = std::move(*token);
    token_identity_ = seen;
  }
  return token_cache_;
}

Result<void*> HttpTransport::prepare(const HttpRequest& request, char* error_buffer) {
  CURL* curl = static_cast<CURL*>(curl_);
  lib_->easy_reset(curl);
  const std::string url = access_.server + request.path;
  lib_->easy_setopt(curl, CURLOPT_URL, url.c_str());
  lib_->easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  lib_->easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  lib_->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  lib_->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  lib_->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
  if (connect_to_ != nullptr) lib_->easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to_);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    lib_->easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    lib_->easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }

  // TLS: verify against the cluster's CA unless explicitly told not to.
  curl_blob ca{const_cast<char*>(access_.ca_pem.data()), access_.ca_pem.size(), CURL_BLOB_COPY};
  curl_blob cert{const_cast<char*>(access_.client_cert_pem.data()), access_.client_cert_pem.size(),
                 CURL_BLOB_COPY};
  curl_blob key{const_cast<char*>(access_.client_key_pem.data()), access_.client_key_pem.size(),
                CURL_BLOB_COPY};
  if (access_.insecure_skip_tls_verify) {
    lib_->easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    lib_->easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!access_.ca_pem.empty()) {
    lib_->easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  }
  if (!access_.client_cert_pem.empty()) {
    lib_->easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    lib_->easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    lib_->easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
    lib_->easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }

  auto token = bearerToken();
  if (!token) return token.error();
  curl_slist* headers = nullptr;
  headers = lib_->slist_append(headers, "Accept: application/json");
  const std::string content_type = "Content-Type: " + request.content_type;
  headers = lib_->slist_append(headers, content_type.c_str());
  headers = lib_->slist_append(headers, "User-Agent: kube-vip-cpp/" KUBEVIP_VERSION);
  if (!token->empty()) {
    const std::string authorization = "Authorization: Bearer " + *token;
    headers = lib_->slist_append(headers, authorization.c_str());
  }
  lib_->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  return static_cast<void*>(headers);
}

Result<HttpResponse> HttpTransport::send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  auto headers = prepare(request, error_buffer);
  if (!headers) return headers.error();
  lib_->easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  CappedBody body{&response.body, peer_.max_body_bytes};
  lib_->easy_setopt(curl, CURLOPT_WRITEFUNCTION, appendBody);
  lib_->easy_setopt(curl, CURLOPT_WRITEDATA, &body);

  const CURLcode code = lib_->easy_perform(curl);
  lib_->slist_free_all(static_cast<curl_slist*>(*headers));
  if (body.overflowed) return bodyTooLarge(access_.server, request.path, peer_.max_body_bytes);
  if (code != CURLE_OK) {
    return transportError(*lib_, code, error_buffer, peer_.name, server_label_, timeout_);
  }
  lib_->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

namespace {

struct StreamSink {
  const CurlLibrary* lib;
  CURL* curl;
  const std::function<Status(std::string_view)>* on_data;
  HttpResponse* response;
  CappedBody error_body;  // the body of a non-2xx answer
  Status failure;         // from on_data: the transfer was aborted
};

size_t streamBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<StreamSink*>(user);
  if (sink->response->status == 0) {
    sink->lib->easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &sink->response->status);
  }
  const long status = sink->response->status;
  if (status >= 200 && status < 300) {
    sink->failure = (*sink->on_data)(std::string_view(data, size * count));
    return sink->failure.ok() ? size * count : 0;
  }
  return sink->error_body.append(data, size * count) ? size * count : 0;
}

}  // namespace

Result<HttpResponse> HttpTransport::stream(const HttpRequest& request,
                                           const std::function<Status(std::string_view)>& on_data,
                                           std::chrono::milliseconds max_duration,
                                           const std::atomic<bool>& cancel) {
  CURL* curl = static_cast<CURL*>(curl_);
  auto* multi = static_cast<CURLM*>(multi_);
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  auto headers = prepare(request, error_buffer);
  if (!headers) return headers.error();
  const CappedBody error_body{&response.body, peer_.max_body_bytes};
  StreamSink sink{lib_, curl, &on_data, &response, error_body, okStatus()};
  lib_->easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(max_duration.count()));
  lib_->easy_setopt(curl, CURLOPT_WRITEFUNCTION, streamBody);
  lib_->easy_setopt(curl, CURLOPT_WRITEDATA, &sink);

  lib_->multi_add_handle(multi, curl);
  CURLcode code = CURLE_OK;
  bool cancelled = false;
  for (;;) {
    if (cancel.load()) {
      cancelled = true;
      break;
    }
    int running = 0;
    if (lib_->multi_perform(multi, &running) != CURLM_OK) {
      code = CURLE_RECV_ERROR;
      break;
    }
    if (running == 0) {
      int queued = 0;
      while (CURLMsg* msg = lib_->multi_info_read(multi, &queued)) {
        if (msg->msg == CURLMSG_DONE) code = msg->data.result;
      }
      break;
    }
    // Woken early by data, by the timeout curl asks for, or by wakeStream().
    lib_->multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  lib_->multi_remove_handle(multi, curl);
  lib_->slist_free_all(static_cast<curl_slist*>(*headers));
  if (cancelled) return makeError(ErrorCode::kUnavailable, "watch cancelled");
  if (!sink.failure.ok()) return sink.failure.error();
  if (sink.error_body.overflowed) {
    return bodyTooLarge(access_.server, request.path, peer_.max_body_bytes);
  }
  if (code == CURLE_OPERATION_TIMEDOUT && response.status >= 200 && response.status < 300) {
    return response;  // the stream ran for max_duration: a normal end, as a server timeout is
  }
  if (code != CURLE_OK) {
    return transportError(*lib_, code, error_buffer, peer_.name, server_label_, timeout_);
  }
  lib_->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

void HttpTransport::wakeStream() { lib_->multi_wakeup(static_cast<CURLM*>(multi_)); }

}  // namespace kubevip::k8s
