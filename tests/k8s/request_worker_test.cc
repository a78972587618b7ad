#include "k8s/request_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace kubevip::k8s {
namespace {

// Completions run on the loop thread in the order the work was posted.
TEST(RequestWorker, CompletionsRunOnTheLoopInOrder) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  auto worker = RequestWorker::create(**loop);
  ASSERT_TRUE(worker.ok());
  const auto loop_thread = std::this_thread::get_id();
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    (*worker)->post([&, i]() -> RequestWorker::Completion {
      EXPECT_NE(std::this_thread::get_id(), loop_thread);
      return [&, i] {
        EXPECT_EQ(std::this_thread::get_id(), loop_thread);
        order.push_back(i);
        if (order.size() == 3) (*loop)->stop();
      };
    });
  }
  (*loop)->run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

// A completion that destroys the worker (its owner shutting down) ends the delivery: completions
// queued behind it belong to a component that no longer exists and must not run.
TEST(RequestWorker, NothingRunsAfterACompletionDestroyedTheWorker) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  auto created = RequestWorker::create(**loop);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<RequestWorker> worker = std::move(*created);
  bool second_ran = false;
  std::atomic<bool> third_started{false};
  worker->post([&]() -> RequestWorker::Completion { return [&] { worker.reset(); }; });
  worker->post([&]() -> RequestWorker::Completion { return [&] { second_ran = true; }; });
  // Once the third work runs, the first two completions are queued together: one delivery.
  worker->post([&]() -> RequestWorker::Completion {
    third_started = true;
    return [] {};
  });
  while (!third_started) std::this_thread::yield();
  (*loop)->runOnce();
  EXPECT_EQ(worker, nullptr);
  EXPECT_FALSE(second_ran);
}

}  // namespace
}  // namespace kubevip::k8s
