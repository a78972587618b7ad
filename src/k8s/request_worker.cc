#include "k8s/request_worker.h"

namespace kubevip::k8s {

Result<std::unique_ptr<RequestWorker>> RequestWorker::create(EventLoop& loop) {
  std::unique_ptr<RequestWorker> worker(new RequestWorker());
  RequestWorker* self = worker.get();
  auto wakeup = CrossThreadWakeup::create(loop, [self] { self->deliver(); });
  if (!wakeup) return wakeup.error();
  worker->wakeup_ = std::move(*wakeup);
  worker->thread_ = std::thread([self] { self->runWorker(); });
  return worker;
}

RequestWorker::~RequestWorker() {
  alive_.reset();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    pending_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RequestWorker::post(Work work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(std::move(work));
  }
  cv_.notify_one();
}

void RequestWorker::runWorker() {
  for (;;) {
    Work work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      work = std::move(pending_.front());
      pending_.pop_front();
    }
    Completion completion = work();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      done_.push_back(std::move(completion));
    }
    wakeup_->notify();
  }
}

void RequestWorker::deliver() {
  std::deque<Completion> ready;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ready.swap(done_);
  }
  // A completion may destroy this worker (e.g. the elector shutting down); stop if it did: the
  // completions behind it belong to a component that no longer exists.
  std::weak_ptr<bool> alive = alive_;
  for (auto& completion : ready) {
    if (alive.expired()) return;
    completion();
  }
}

}  // namespace kubevip::k8s
