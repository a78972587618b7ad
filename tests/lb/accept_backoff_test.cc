#include "lb/accept_backoff.h"

#include <gtest/gtest.h>

namespace kubevip::lb {
namespace {

using namespace std::chrono_literals;

TEST(AcceptBackoffTest, PausesDoubleUpToTheMaximumWhileFailuresGoOn) {
  ManualTimeSource time;
  AcceptBackoff b;
  EXPECT_FALSE(b.paused());
  EXPECT_TRUE(b.onFailure(time.now()));  // starts the episode: the caller logs
  EXPECT_TRUE(b.paused());
  EXPECT_EQ(b.resumeAt(), time.now() + 100ms);
  const Duration expected[] = {200ms, 400ms, 800ms, 1s, 1s};
  for (Duration pause : expected) {
    EXPECT_FALSE(b.resumeIfDue(b.resumeAt() - 1ms));
    time.advance(b.resumeAt() - time.now());
    EXPECT_TRUE(b.resumeIfDue(time.now()));
    EXPECT_FALSE(b.paused());
    EXPECT_FALSE(b.onFailure(time.now()));  // same episode: not logged again
    EXPECT_EQ(b.currentPause(), pause);
  }
  EXPECT_EQ(b.failures(), 6u);
}

TEST(AcceptBackoffTest, ASuccessEndsTheEpisodeAndReportsItsFailures) {
  ManualTimeSource time;
  AcceptBackoff b;
  EXPECT_EQ(b.onSuccess(), 0u);  // no episode
  b.onFailure(time.now());
  time.advance(100ms);
  ASSERT_TRUE(b.resumeIfDue(time.now()));
  b.onFailure(time.now());
  time.advance(200ms);
  ASSERT_TRUE(b.resumeIfDue(time.now()));
  EXPECT_TRUE(b.inEpisode());
  EXPECT_EQ(b.onSuccess(), 2u);
  EXPECT_FALSE(b.inEpisode());
  // The next episode starts from the first pause again and is logged again.
  EXPECT_TRUE(b.onFailure(time.now()));
  EXPECT_EQ(b.currentPause(), AcceptBackoff::kFirstPause);
}

TEST(AcceptBackoffTest, NotPausedMeansNothingToResume) {
  AcceptBackoff b;
  EXPECT_FALSE(b.resumeIfDue(SteadyTime{} + 1h));
}

}  // namespace
}  // namespace kubevip::lb
