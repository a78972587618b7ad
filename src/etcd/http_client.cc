// EtcdClient over etcd's JSON gateway (codec.h) with libcurl (k8s::HttpTransport).
//
// Threads: unary requests (grant, keepalive, revoke, txn, range) run one after another on a
// k8s::RequestWorker, each endpoint with its own transport so that its TLS connection is reused.
// The watch runs on a thread of its own with a second set of transports, so that a stream that
// hangs never delays a keepalive. Both hand their results to the loop thread: the worker through
// its completions, the watch through a queue and a CrossThreadWakeup, each item tagged with the
// watch's generation so that nothing of a cancelled watch is delivered.
#include "etcd/http_client.h"

#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include "etcd/codec.h"
#include "etcd/failover.h"
#include "k8s/cluster_access.h"
#include "k8s/http_transport.h"
#include "k8s/request_worker.h"

namespace kubevip::etcd {
namespace {

// A watch ends (on_end) this long after it started and is started again by the elector: this
// bounds how long a stream on a silently dead connection (a member cut off without a reset)
// can keep a follower blind. Etcd sends nothing on an idle watch, so a dead connection is not
// noticed sooner; a follower that must learn of a deleted key quickly should not rely on the
// watch alone but also read the key (get) when the holder's lease should have run out.
constexpr std::chrono::minutes kWatchMaxDuration{5};

// The gateway's status for gRPC Unavailable (code 14).
constexpr long kMemberUnavailableStatus = 503;

// "http(s)://host[:port]" with an optional trailing slash, which is dropped.
Result<std::string> checkEndpoint(const std::string& endpoint) {
  std::string url = endpoint;
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("etcd endpoint \"{}\": expected http://host:port or "
                                 "https://host:port",
                                 endpoint));
  }
  const std::string authority = url.substr(scheme_end + 3);
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string::npos) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("etcd endpoint \"{}\": expected a host and port only, without a "
                                 "path or credentials",
                                 endpoint));
  }
  return url;
}

Result<std::string> readPem(const std::string& path, std::string_view what) {
  auto text = k8s::readFile(path);
  if (!text) {
    Error error = text.error();
    error.message = fmt::format("etcd {}: {}", what, error.message);
    return error;
  }
  if (text->find("-----BEGIN ") == std::string::npos) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("etcd {} {}: not PEM (no \"-----BEGIN\" line)", what, path));
  }
  return text;
}

Error withSource(Error error, const std::string& endpoint) {
  error.message += fmt::format(" (from {})", endpoint);
  return error;
}

class HttpEtcdClient final : public EtcdClient {
 public:
  static Result<std::unique_ptr<EtcdClient>> create(EventLoop& loop,
                                                    const HttpClientOptions& options);
  ~HttpEtcdClient() override;
  HttpEtcdClient(const HttpEtcdClient&) = delete;
  HttpEtcdClient& operator=(const HttpEtcdClient&) = delete;

  void grantLease(std::chrono::seconds ttl, Callback<LeaseGrant> done) override;
  void keepAlive(int64_t lease_id, Callback<int64_t> done) override;
  void revokeLease(int64_t lease_id, std::function<void(Status)> done) override;
  void createIfAbsent(const std::string& key, const std::string& value, int64_t lease_id,
                      Callback<CreateOutcome> done) override;
  void get(const std::string& key, Callback<GetOutcome> done) override;
  void watch(const std::string& key, int64_t start_revision, WatchCallbacks callbacks) override;
  void cancelWatch() override;
  std::string endpoint() const override { return urls_[preferred_.load()]; }

 private:
  template <typename T>
  using Decoder = std::function<Result<T>(std::string_view body)>;

  struct WatchItem {
    uint64_t generation = 0;
    std::optional<WatchEvent> event;  // set for an event
    Status end = okStatus();          // used when event is empty
  };
  // How a watch attempt on one endpoint ended, once it reached that endpoint.
  struct WatchEnd {
    Status status;
  };

  HttpEtcdClient() = default;

  // Queues the request on the worker; `decode` reads a 2xx answer, on the worker too.
  template <typename T>
  void call(std::string_view path, std::string body, Decoder<T> decode, Callback<T> done);
  // Worker thread: the request with failover, then the answer decoded.
  template <typename T>
  Result<T> perform(const std::string& path, const std::string& body, const Decoder<T>& decode);

  void runWatch(uint64_t generation, const std::string& key, int64_t start_revision);
  void pushWatchItem(WatchItem item);
  void deliverWatchItems();

  std::vector<std::string> urls_;
  std::atomic<size_t> preferred_{0};  // the endpoint that last answered
  std::vector<std::unique_ptr<k8s::HttpTransport>> request_transports_;  // worker thread only
  std::vector<std::unique_ptr<k8s::HttpTransport>> watch_transports_;    // watch thread only
  std::unique_ptr<k8s::RequestWorker> worker_;

  // The watch. generation_ and callbacks_ belong to the loop thread.
  std::unique_ptr<CrossThreadWakeup> watch_wakeup_;
  uint64_t watch_generation_ = 0;
  WatchCallbacks watch_callbacks_;
  std::atomic<bool> watch_cancel_{false};
  std::thread watch_thread_;
  std::mutex watch_mutex_;
  std::deque<WatchItem> watch_ready_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

Result<std::unique_ptr<EtcdClient>> HttpEtcdClient::create(EventLoop& loop,
                                                           const HttpClientOptions& options) {
  if (options.endpoints.empty()) {
    return makeError(ErrorCode::kInvalidArgument, "etcd client: no endpoint given");
  }
  if (options.request_timeout.count() <= 0) {
    return makeError(ErrorCode::kInvalidArgument,
                     fmt::format("etcd client: request timeout {} ms is not positive",
                                 options.request_timeout.count()));
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return makeError(ErrorCode::kInvalidArgument,
                     "etcd client: a client certificate and its key go together; only the " +
                         std::string(options.cert_file.empty() ? "key" : "certificate") +
                         " file is given");
  }
  k8s::ClusterAccess access;
  if (!options.ca_file.empty()) {
    auto ca = readPem(options.ca_file, "CA file");
    if (!ca) return ca.error();
    access.ca_pem = std::move(*ca);
  }
  if (!options.cert_file.empty()) {
    auto cert = readPem(options.cert_file, "client certificate file");
    if (!cert) return cert.error();
    auto key = readPem(options.key_file, "client key file");
    if (!key) return key.error();
    access.client_cert_pem = std::move(*cert);
    access.client_key_pem = std::move(*key);
  }

  std::unique_ptr<HttpEtcdClient> client(new HttpEtcdClient());
  const k8s::HttpPeer peer{"etcd", kMaxAnswerBytes};
  for (const auto& endpoint : options.endpoints) {
    auto url = checkEndpoint(endpoint);
    if (!url) return url.error();
    access.server = *url;
    for (auto* transports : {&client->request_transports_, &client->watch_transports_}) {
      auto transport = k8s::HttpTransport::create(access, options.request_timeout, peer);
      if (!transport) return transport.error();
      transports->push_back(std::move(*transport));
    }
    client->urls_.push_back(std::move(*url));
  }
  auto worker = k8s::RequestWorker::create(loop);
  if (!worker) return worker.error();
  client->worker_ = std::move(*worker);
  HttpEtcdClient* self = client.get();
  auto wakeup = CrossThreadWakeup::create(loop, [self] { self->deliverWatchItems(); });
  if (!wakeup) return wakeup.error();
  client->watch_wakeup_ = std::move(*wakeup);
  return std::unique_ptr<EtcdClient>(std::move(client));
}

HttpEtcdClient::~HttpEtcdClient() {
  alive_.reset();
  cancelWatch();
  // Joins the worker (waiting for a request in flight, bounded by the timeouts) before the
  // transports it uses go away; completions not yet delivered are dropped.
  worker_.reset();
}

template <typename T>
void HttpEtcdClient::call(std::string_view path, std::string body, Decoder<T> decode,
                          Callback<T> done) {
  worker_->post([this, path = std::string(path), body = std::move(body), decode = std::move(decode),
                 done = std::move(done)]() -> k8s::RequestWorker::Completion {
    auto result = std::make_shared<Result<T>>(perform(path, body, decode));
    return [done, result] { done(std::move(*result)); };
  });
}

template <typename T>
Result<T> HttpEtcdClient::perform(const std::string& path, const std::string& body,
                                  const Decoder<T>& decode) {
  const k8s::HttpRequest request{"POST", path, body};
  auto answered = sendWithFailover<k8s::HttpResponse>(
      path, urls_, preferred_.load(), [&](size_t index) -> Result<k8s::HttpResponse> {
        auto response = request_transports_[index]->send(request);
        // 503 is gRPC's Unavailable through the gateway: this member cannot serve now ("etcdserver:
        // no leader" on a member cut off from the others, "request timed out" while it has no
        // quorum). Another member may well serve it, so it counts as this endpoint failing.
        if (response && response->status == kMemberUnavailableStatus) {
          return decodeErrorAnswer(fmt::format("{} at {}", path, urls_[index]), response->status,
                                   response->body);
        }
        return response;
      });
  if (!answered) return answered.error();
  preferred_ = answered->endpoint;
  const std::string& url = urls_[answered->endpoint];
  const k8s::HttpResponse& response = answered->answer;
  if (response.status < 200 || response.status >= 300) {
    return decodeErrorAnswer(fmt::format("{} at {}", path, url), response.status, response.body);
  }
  auto decoded = decode(response.body);
  if (!decoded) return withSource(decoded.error(), url);
  return decoded;
}

void HttpEtcdClient::grantLease(std::chrono::seconds ttl, Callback<LeaseGrant> done) {
  call<LeaseGrant>(kLeaseGrantPath, encodeLeaseGrant(ttl.count()), decodeLeaseGrant,
                   std::move(done));
}

void HttpEtcdClient::keepAlive(int64_t lease_id, Callback<int64_t> done) {
  // One request, one answer: the gateway ends the keepalive answer after its one message (see
  // codec.h), so this is an ordinary bounded request.
  call<int64_t>(
      kLeaseKeepAlivePath, encodeLeaseKeepAlive(lease_id),
      [lease_id](std::string_view body) { return decodeLeaseKeepAlive(body, lease_id); },
      std::move(done));
}

void HttpEtcdClient::revokeLease(int64_t lease_id, std::function<void(Status)> done) {
  call<void>(kLeaseRevokePath, encodeLeaseRevoke(lease_id), decodeLeaseRevoke, std::move(done));
}

void HttpEtcdClient::createIfAbsent(const std::string& key, const std::string& value,
                                    int64_t lease_id, Callback<CreateOutcome> done) {
  call<CreateOutcome>(
      kTxnPath, encodeCreateIfAbsent(key, value, lease_id),
      [key, value, lease_id](std::string_view body) {
        return decodeCreateIfAbsent(body, key, value, lease_id);
      },
      std::move(done));
}

void HttpEtcdClient::get(const std::string& key, Callback<GetOutcome> done) {
  call<GetOutcome>(
      kRangePath, encodeRange(key), [key](std::string_view body) { return decodeRange(body, key); },
      std::move(done));
}

void HttpEtcdClient::watch(const std::string& key, int64_t start_revision,
                           WatchCallbacks callbacks) {
  cancelWatch();
  watch_callbacks_ = std::move(callbacks);
  const uint64_t generation = watch_generation_;
  watch_thread_ = std::thread(
      [this, generation, key, start_revision] { runWatch(generation, key, start_revision); });
}

void HttpEtcdClient::cancelWatch() {
  ++watch_generation_;
  if (watch_thread_.joinable()) {
    watch_cancel_ = true;
    // The thread may be on any endpoint's transport; waking an idle one is harmless.
    for (auto& transport : watch_transports_) transport->wakeStream();
    watch_thread_.join();
  }
  watch_cancel_ = false;
  std::lock_guard<std::mutex> lock(watch_mutex_);
  watch_ready_.clear();
}

void HttpEtcdClient::runWatch(uint64_t generation, const std::string& key, int64_t start_revision) {
  const k8s::HttpRequest request{"POST", std::string(kWatchPath),
                                 encodeWatchCreate(key, start_revision)};
  auto attempt = [&](size_t index) -> Result<WatchEnd> {
    const std::string& url = urls_[index];
    JsonMessageSplitter splitter;
    bool received = false;
    Status stopped = okStatus();  // why we ended the stream ourselves
    auto response = watch_transports_[index]->stream(
        request,
        [&](std::string_view chunk) -> Status {
          received = true;
          stopped = splitter.feed(chunk, [&](std::string_view text) -> Status {
            auto message = decodeWatchMessage(text);
            if (!message) return withSource(message.error(), url);
            for (auto& event : message->events) {
              pushWatchItem(WatchItem{generation, std::move(event), okStatus()});
            }
            if (message->canceled && message->compact_revision > 0) {
              return makeError(
                  ErrorCode::kNotFound,
                  fmt::format("etcd {} at {}: revision {} of {} is compacted away, "
                              "the oldest kept is {}",
                              kWatchPath, url, start_revision, key, message->compact_revision));
            }
            if (message->canceled) {
              return makeError(
                  ErrorCode::kUnavailable,
                  fmt::format("etcd {} at {}: the watch of {} was cancelled by etcd{}", kWatchPath,
                              url, key,
                              message->cancel_reason.empty() ? std::string()
                                                             : ": " + message->cancel_reason));
            }
            return okStatus();
          });
          return stopped;
        },
        kWatchMaxDuration, watch_cancel_);
    if (!stopped) return WatchEnd{stopped};
    if (!response) {
      // Nothing came from this endpoint: it counts as unreachable and the next one is tried.
      if (!received) return response.error();
      return WatchEnd{response.error()};
    }
    if (response->status < 200 || response->status >= 300) {
      return WatchEnd{decodeErrorAnswer(fmt::format("{} at {}", kWatchPath, url), response->status,
                                        response->body)};
    }
    return WatchEnd{
        makeError(ErrorCode::kUnavailable,
                  fmt::format("etcd {} at {}: the stream of {} ended", kWatchPath, url, key))};
  };
  auto ended =
      sendWithFailover<WatchEnd>(std::string(kWatchPath), urls_, preferred_.load(), attempt);
  if (watch_cancel_) return;
  Status end = okStatus();
  if (ended) {
    preferred_ = ended->endpoint;
    end = ended->answer.status;
  } else {
    end = ended.error();
  }
  if (end.ok()) end = makeError(ErrorCode::kInternal, "etcd watch ended without a reason");
  pushWatchItem(WatchItem{generation, std::nullopt, std::move(end)});
}

void HttpEtcdClient::pushWatchItem(WatchItem item) {
  {
    std::lock_guard<std::mutex> lock(watch_mutex_);
    watch_ready_.push_back(std::move(item));
  }
  watch_wakeup_->notify();
}

void HttpEtcdClient::deliverWatchItems() {
  std::deque<WatchItem> items;
  {
    std::lock_guard<std::mutex> lock(watch_mutex_);
    items.swap(watch_ready_);
  }
  std::weak_ptr<bool> alive = alive_;
  for (auto& item : items) {
    // A callback may cancel or restart the watch, or destroy this client.
    if (alive.expired() || item.generation != watch_generation_) return;
    if (item.event) {
      if (watch_callbacks_.on_event) watch_callbacks_.on_event(*item.event);
    } else {
      auto on_end = watch_callbacks_.on_end;
      if (on_end) on_end(item.end);
    }
  }
}

}  // namespace

// By value as declared in http_client.h, whose callers may move their options in.
Result<std::unique_ptr<EtcdClient>> makeHttpEtcdClient(
    EventLoop& loop,
    HttpClientOptions options) {  // NOLINT(performance-unnecessary-value-param)
  return HttpEtcdClient::create(loop, options);
}

}  // namespace kubevip::etcd
