#include "common/event_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

#include "common/unique_fd.h"

namespace kubevip {
namespace {

TEST(EventLoopTest, TimerAndFdWatcherRunOnTheLoop) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  std::string got;
  std::unique_ptr<FdWatcher> watcher;
  auto w = FdWatcher::create(**loop, read_end.get(), FdWatcher::kReadable, [&](int) {
    char buf[16];
    ssize_t n = read(read_end.get(), buf, sizeof(buf));
    if (n > 0) got.assign(buf, static_cast<size_t>(n));
    watcher.reset();  // destroying from inside its own callback must be safe
  });
  ASSERT_TRUE(w.ok());
  watcher = std::move(*w);
  auto timer = (*loop)->time().createTimer();
  timer->start(milliseconds(1), [&] { ASSERT_EQ(write(write_end.get(), "ping", 4), 4); });
  (*loop)->run();
  EXPECT_EQ(got, "ping");
}

TEST(EventLoopTest, SignalWatcherDeliversOnLoopThread) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  bool seen = false;
  std::unique_ptr<SignalWatcher> sig;
  auto s = SignalWatcher::create(**loop, SIGUSR1, [&] {
    seen = true;
    sig.reset();
  });
  ASSERT_TRUE(s.ok());
  sig = std::move(*s);
  ASSERT_EQ(raise(SIGUSR1), 0);
  (*loop)->run();
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace kubevip
