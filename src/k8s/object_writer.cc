#include "k8s/object_writer.h"

#include "k8s/api_error.h"
#include "k8s/http_transport.h"
#include "k8s/request_worker.h"

namespace kubevip::k8s {

Result<std::unique_ptr<ObjectWriter>> ObjectWriter::create(EventLoop& loop, ClusterAccess access,
                                                           std::chrono::milliseconds timeout) {
  auto transport = HttpTransport::create(std::move(access), timeout);
  if (!transport) return transport.error();
  auto worker = RequestWorker::create(loop);
  if (!worker) return worker.error();
  std::unique_ptr<ObjectWriter> writer(new ObjectWriter());
  writer->transport_ = std::move(*transport);
  writer->worker_ = std::move(*worker);
  return writer;
}

ObjectWriter::~ObjectWriter() {
  worker_.reset();  // joins the thread before the transport goes
}

void ObjectWriter::mergePatch(std::string path, std::string patch_json, Done done) {
  std::string action = "merge-patch " + path;
  send(HttpRequest{"PATCH", std::move(path), std::move(patch_json), "application/merge-patch+json"},
       std::move(action), std::move(done));
}

void ObjectWriter::get(std::string path, Done done) {
  std::string action = "get " + path;
  send(HttpRequest{"GET", std::move(path), ""}, std::move(action), std::move(done));
}

void ObjectWriter::send(const HttpRequest& request, std::string action, Done done) {
  worker_->post([transport = transport_, request, action = std::move(action),
                 done = std::move(done)]() mutable -> RequestWorker::Completion {
    auto response = transport->send(request);
    Result<std::string> result = std::string();
    if (!response) {
      Error error = response.error();
      error.message = action + ": " + error.message;
      result = std::move(error);
    } else if (response->status < 200 || response->status >= 300) {
      result = errorFromResponse(response->status, response->body, action);
    } else {
      result = std::move(response->body);
    }
    return
        [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); };
  });
}

}  // namespace kubevip::k8s
