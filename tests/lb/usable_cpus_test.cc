// The worker count from the affinity mask and the cgroup CPU quota (lb/usable_cpus.h).
#include "lb/usable_cpus.h"

#include <gtest/gtest.h>

namespace kubevip::lb {
namespace {

TEST(UsableCpus, TheSmallerOfAffinityAndCgroupLimit) {
  EXPECT_EQ(combineUsableCpus(2, std::nullopt).count, 2);
  EXPECT_EQ(combineUsableCpus(1, std::nullopt).count, 1);  // taskset -c 0 on a 2-CPU machine
  EXPECT_EQ(combineUsableCpus(8, 2).count, 2);
  EXPECT_EQ(combineUsableCpus(2, 8).count, 2);
}

TEST(UsableCpus, NeverLessThanOne) {
  EXPECT_EQ(combineUsableCpus(0, std::nullopt).count, 1);
  EXPECT_EQ(combineUsableCpus(4, 0).count, 1);
}

TEST(UsableCpus, DescribesWhy) {
  EXPECT_EQ(combineUsableCpus(2, std::nullopt).describe(),
            "2 usable CPUs (affinity 2, cgroup limit none)");
  EXPECT_EQ(combineUsableCpus(4, 1).describe(), "1 usable CPU (affinity 4, cgroup limit 1)");
}

TEST(CgroupV2Path, FindsTheUnifiedHierarchysLine) {
  EXPECT_EQ(cgroupV2Path("0::/system.slice/kube-vip.service\n"), "/system.slice/kube-vip.service");
  EXPECT_EQ(cgroupV2Path("0::/\n"), "/");
  // Hybrid layout: v1 controllers first, the unified line last.
  EXPECT_EQ(cgroupV2Path("12:cpu,cpuacct:/kubepods/x\n1:name=systemd:/a\n0::/kubepods/x\n"),
            "/kubepods/x");
}

TEST(CgroupV2Path, NoneOnCgroupV1OrGarbage) {
  EXPECT_EQ(cgroupV2Path("12:cpu,cpuacct:/kubepods/x\n1:name=systemd:/a\n"), std::nullopt);
  EXPECT_EQ(cgroupV2Path(""), std::nullopt);
  EXPECT_EQ(cgroupV2Path("0::\n"), std::nullopt);
  EXPECT_EQ(cgroupV2Path("10::/a\n"), std::nullopt);
}

TEST(CgroupPathAndAncestors, WalksUpToTheRoot) {
  using V = std::vector<std::string>;
  EXPECT_EQ(cgroupPathAndAncestors("/a/b/c"), (V{"/a/b/c", "/a/b", "/a", "/"}));
  EXPECT_EQ(cgroupPathAndAncestors("/a/"), (V{"/a", "/"}));
  EXPECT_EQ(cgroupPathAndAncestors("/"), (V{"/"}));
}

TEST(CpuLimitFromCpuMax, RoundsQuotaOverPeriodUp) {
  EXPECT_EQ(cpuLimitFromCpuMax("100000 100000\n"), 1);
  EXPECT_EQ(cpuLimitFromCpuMax("150000 100000\n"), 2);
  EXPECT_EQ(cpuLimitFromCpuMax("50000 100000"), 1);  // half a CPU still needs one worker
  EXPECT_EQ(cpuLimitFromCpuMax("400000 100000"), 4);
  EXPECT_EQ(cpuLimitFromCpuMax("400001 100000"), 5);
}

TEST(CpuLimitFromCpuMax, MaxOrGarbageIsNoLimit) {
  EXPECT_EQ(cpuLimitFromCpuMax("max 100000\n"), std::nullopt);
  EXPECT_EQ(cpuLimitFromCpuMax(""), std::nullopt);
  EXPECT_EQ(cpuLimitFromCpuMax("150000"), std::nullopt);
  EXPECT_EQ(cpuLimitFromCpuMax("150000 0"), std::nullopt);
  EXPECT_EQ(cpuLimitFromCpuMax("-1 100000"), std::nullopt);
  EXPECT_EQ(cpuLimitFromCpuMax("15x 100000"), std::nullopt);
}

TEST(TightestLimit, TheSmallestAlongThePath) {
  EXPECT_EQ(tightestLimit({std::nullopt, 3, std::nullopt, 2, 4}), 2);
  EXPECT_EQ(tightestLimit({std::nullopt, std::nullopt}), std::nullopt);
  EXPECT_EQ(tightestLimit({}), std::nullopt);
}

}  // namespace
}  // namespace kubevip::lb
